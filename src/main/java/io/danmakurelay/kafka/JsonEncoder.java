package io.danmakurelay.kafka;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.SerializedString;
import io.danmakurelay.pipeline.FieldMap;
import io.danmakurelay.pipeline.RawJson;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.jackson.JacksonCodec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Encodes a batch's record values to UTF-8 JSON with one streaming generator for the whole batch: the same
 * bytes as {@link JsonObject#toBuffer()} (Vert.x's own encoding of its JSON types), without the object mapper's
 * per-value serializer provider and buffer pool. A {@link RawJson} inside a value is written as its bytes. Not
 * thread-safe: one per batch.
 */
final class JsonEncoder {

  private static final JsonFactory FACTORY = new JsonFactory();

  private final ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
  private final JsonGenerator generator;

  JsonEncoder() {
    try {
      generator = FACTORY.createGenerator(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    // Values are separate documents: no separator between them.
    generator.setRootValueSeparator(null);
  }

  /** Field names seen before, UTF-8 encoded and quoted once (record values share a few dozen names). */
  private static final ConcurrentHashMap<String, SerializedString> NAMES = new ConcurrentHashMap<>();
  private static final int MAX_NAMES = 4096;

  byte[] encode(JsonObject value) {
    out.reset();
    try {
      write(value.getMap());
      generator.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** The common types of record values directly; anything else as Vert.x encodes it. */
  private void write(Map<String, Object> map) throws IOException {
    generator.writeStartObject();
    if (map instanceof FieldMap fields) {
      for (int i = 0; i < fields.size(); i++) {
        generator.writeFieldName(name(fields.nameAt(i)));
        value(fields.valueAt(i));
      }
    } else {
      for (Map.Entry<String, Object> e : map.entrySet()) {
        generator.writeFieldName(name(e.getKey()));
        value(e.getValue());
      }
    }
    generator.writeEndObject();
  }

  private void value(Object v) throws IOException {
    if (v instanceof String s) {
      generator.writeString(s);
    } else if (v instanceof Long l) {
      generator.writeNumber(l);
    } else if (v instanceof Integer i) {
      generator.writeNumber(i);
    } else if (v instanceof JsonObject o) {
      write(o.getMap());
    } else if (v instanceof JsonArray a) {
      // A video part's state holds a pool's worth of ids.
      generator.writeStartArray();
      for (int i = 0; i < a.size(); i++) {
        value(a.getValue(i));
      }
      generator.writeEndArray();
    } else if (v instanceof RawJson raw) {
      // Bytes that already are one JSON value (an upstream item as received): the generator writes the
      // separator before a value, then its buffer goes out ahead of the bytes written in place.
      generator.writeRawValue("");
      generator.flush();
      out.write(raw.bytes());
    } else if (v == null) {
      generator.writeNull();
    } else {
      JacksonCodec.encodeJson(v, generator);
    }
  }

  private static SerializableString name(String key) {
    SerializedString known = NAMES.get(key);
    if (known != null) {
      return known;
    }
    SerializedString name = new SerializedString(key);
    if (NAMES.size() < MAX_NAMES) {
      // Names are few and fixed in practice; the bound keeps a stream of odd keys from growing the cache.
      NAMES.putIfAbsent(key, name);
    }
    return name;
  }
}
