package io.danmakurelay.testsupport;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric names a PromQL expression reads (Grafana's {@code $variables} allowed): every identifier that is
 * not a function, a keyword, a label or a duration. Enough for the dashboard and alert rules of docker/.
 */
public final class PromQlNames {

  private static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left",
      "group_right", "and", "or", "unless", "bool", "offset", "inf", "nan");
  private static final Pattern GRAFANA_VARIABLE = Pattern.compile("\\$\\{?\\w+(:\\w+)?}?");
  private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`");
  private static final Pattern MATCHERS = Pattern.compile("\\{[^}]*}");
  private static final Pattern RANGE = Pattern.compile("\\[[^]]*]");
  private static final Pattern LABEL_LIST =
      Pattern.compile("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
  private static final Pattern IDENTIFIER = Pattern.compile("(?<![\\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\\s*\\()?");

  private PromQlNames() {
  }

  public static Set<String> of(String expr) {
    String e = GRAFANA_VARIABLE.matcher(expr).replaceAll("1");
    e = STRING.matcher(e).replaceAll("\"\"");
    e = MATCHERS.matcher(e).replaceAll("");
    e = RANGE.matcher(e).replaceAll("");
    e = LABEL_LIST.matcher(e).replaceAll(" ");
    Set<String> names = new TreeSet<>();
    Matcher m = IDENTIFIER.matcher(e);
    while (m.find()) {
      String ident = m.group(1);
      boolean call = m.group(2) != null;
      if (!call && !KEYWORDS.contains(ident.toLowerCase())) {
        names.add(ident);
      }
    }
    return names;
  }
}
