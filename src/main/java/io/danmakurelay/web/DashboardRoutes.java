package io.danmakurelay.web;

import io.vertx.ext.web.Router;

/**
 * The routes the dashboard and the overlay need beyond the static files: {@code GET /api/stats} (the
 * relay's figures of the last minutes, from the {@link StatsSampler}) and {@code GET /overlay?room=ID}
 * (the OBS page, {@code webroot/overlay.html}; the page itself reads and checks its query).
 */
public final class DashboardRoutes {

  private DashboardRoutes() {
  }

  /** Mount before the {@code /api/*} fallback and the static handler. */
  public static void mount(Router router, StatsSampler stats) {
    router.get(Endpoints.STATS).handler(ctx -> ctx.response()
        .putHeader("Content-Type", "application/json; charset=utf-8")
        .putHeader("Cache-Control", "no-store")
        .end(stats.toJson().encode()));
    router.get(Endpoints.OVERLAY).handler(ctx -> ctx.reroute("/overlay.html"));
  }
}
