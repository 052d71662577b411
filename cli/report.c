/* The HTML report of a backtest: one self-contained file (inline CSS and
 * SVG drawn here, no script, nothing fetched): a summary table, an OWA bar
 * chart, and a line chart per series with the history tail, the forecasts,
 * the featured model's 90 % band and the actuals. Every string from the
 * input (file names, series ids, model names) is HTML-escaped. */
#include "cli/cli.h"

#include <math.h>
#include <string.h>

static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd",
                                      "#ff7f0e", "#8c564b", "#e377c2", "#17becf"};
#define NPALETTE (sizeof palette / sizeof palette[0])

static void cell(FILE *out, int prec, double v)
{
    fputs("<td>", out);
    if (isfinite(v))
        fprintf(out, "%.*f", prec, v);
    else
        fputs("n/a", out);
    fputs("</td>", out);
}

/* A "nice" tick step (1, 2 or 5 times a power of ten) for about n ticks. */
static double nice_step(double range, int n)
{
    if (!(range > 0)) return 1;
    double raw = range / n, p = pow(10, floor(log10(raw))), f = raw / p;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

static const char css[] =
    "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:980px;color:#222}"
    "table{border-collapse:collapse;margin:1em 0}th,td{padding:4px 10px;text-align:right;"
    "border-bottom:1px solid #ddd}th:first-child,td:first-child{text-align:left}"
    "th{background:#f4f4f4}figure{margin:1.5em 0}figcaption{font-weight:600}"
    "svg text{font-size:11px;fill:#333}.note{color:#666;font-size:90%}";

static void summary_table(FILE *out, const struct cli_report *r)
{
    fputs("<h2>Summary</h2>\n<table>\n<tr><th>model</th><th>sMAPE</th><th>MASE</th>"
          "<th>OWA</th><th>90% coverage</th><th>MSIS</th><th>s/series</th>"
          "<th>intervals</th><th>fallbacks</th></tr>\n",
          out);
    for (size_t k = 0; k < r->nmodels; k++) {
        const struct cli_report_model *m = &r->models[k];
        fputs("<tr><td>", out);
        cli_html_escape(out, m->name);
        fputs("</td>", out);
        cell(out, 4, m->mean.smape);
        cell(out, 4, m->mean.mase);
        cell(out, 4, m->owa);
        cell(out, 3, m->mean.coverage);
        cell(out, 3, m->mean.msis);
        cell(out, 6, m->sec_per_series);
        fputs("<td>", out);
        cli_html_escape(out, m->intervals);
        fprintf(out, "</td><td>%zu</td></tr>\n", m->fallbacks);
    }
    fputs("</table>\n", out);
}

static void owa_chart(FILE *out, const struct cli_report *r)
{
    fputs("<h2>OWA by model</h2>\n", out);
    double vmax = 1.0;
    size_t nok = 0;
    for (size_t k = 0; k < r->nmodels; k++)
        if (isfinite(r->models[k].owa)) {
            nok++;
            if (r->models[k].owa > vmax) vmax = r->models[k].owa;
        }
    if (nok == 0) {
        fputs("<p class=\"note\">OWA needs the naive2 baseline, which was not available.</p>\n",
              out);
        return;
    }
    vmax *= 1.1;
    const double left = 110, width = 560, bar = 22, gap = 8, top = 10;
    double height = top + (double)r->nmodels * (bar + gap) + 30;
    fprintf(out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
            "role=\"img\" aria-label=\"OWA bar chart\">\n",
            left + width + 70, height);
    for (size_t k = 0; k < r->nmodels; k++) {
        const struct cli_report_model *m = &r->models[k];
        double y = top + (double)k * (bar + gap);
        fprintf(out, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">", left - 6, y + bar * 0.7);
        cli_html_escape(out, m->name);
        fputs("</text>\n", out);
        if (!isfinite(m->owa)) {
            fprintf(out, "<text x=\"%.0f\" y=\"%.1f\">n/a</text>\n", left + 4, y + bar * 0.7);
            continue;
        }
        double w = m->owa / vmax * width;
        fprintf(out,
                "<rect x=\"%.0f\" y=\"%.1f\" width=\"%.1f\" height=\"%.0f\" fill=\"%s\"/>"
                "<text x=\"%.1f\" y=\"%.1f\">%.3f</text>\n",
                left, y, w, bar, m->owa <= 1.0 ? "#2ca02c" : "#d62728", left + w + 4, y + bar * 0.7,
                m->owa);
    }
    double x1 = left + 1.0 / vmax * width, yb = top + (double)r->nmodels * (bar + gap);
    fprintf(out,
            "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\" "
            "stroke-dasharray=\"4 3\"/><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">"
            "naive2 = 1</text>\n</svg>\n",
            x1, top - 4, x1, yb, x1, yb + 16);
}

/* Geometry of one series chart. */
struct frame {
    double left, top, w, h; /* plot area in px */
    double x0, x1, y0, y1;  /* data domain */
};

static double px(const struct frame *f, double x)
{
    return f->left + (x - f->x0) / (f->x1 - f->x0) * f->w;
}

static double py(const struct frame *f, double y)
{
    return f->top + (1 - (y - f->y0) / (f->y1 - f->y0)) * f->h;
}

/* A polyline of v[0..n) at x = x0 + i, broken at non-finite values. */
static void path(FILE *out, const struct frame *f, const double *v, size_t n, double x0,
                 const char *color, const char *extra)
{
    fprintf(out, "<path fill=\"none\" stroke=\"%s\" %s d=\"", color, extra);
    bool pen = false;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i])) {
            pen = false;
            continue;
        }
        fprintf(out, "%c%.1f %.1f ", pen ? 'L' : 'M', px(f, x0 + (double)i), py(f, v[i]));
        pen = true;
    }
    fputs("\"/>\n", out);
}

static void extend(double *lo, double *hi, const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i])) {
            if (v[i] < *lo) *lo = v[i];
            if (v[i] > *hi) *hi = v[i];
        }
}

static void axes(FILE *out, const struct frame *f, size_t season)
{
    fprintf(out,
            "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" "
            "stroke=\"#999\"/>\n",
            f->left, f->top, f->w, f->h);
    double ys = nice_step(f->y1 - f->y0, 5);
    for (double y = ceil(f->y0 / ys) * ys; y <= f->y1 + 1e-9 * ys; y += ys) {
        double yy = py(f, y);
        fprintf(out,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>"
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
                f->left, yy, f->left + f->w, yy, f->left - 4, yy + 4, fabs(y) < ys * 1e-9 ? 0 : y);
    }
    double xs = season ? (double)season : nice_step(f->x1 - f->x0, 6);
    while ((f->x1 - f->x0) / xs > 12) xs *= 2;
    for (double x = ceil(f->x0 / xs) * xs; x <= f->x1; x += xs) {
        double xx = px(f, x);
        fprintf(out,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\"/>"
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s%g</text>\n",
                xx, f->top + f->h, xx, f->top + f->h + 4, xx, f->top + f->h + 16, x > 0 ? "+" : "",
                x == 0 ? 0.0 : x);
    }
    fprintf(out,
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">steps from the forecast "
            "origin</text>\n",
            f->left + f->w / 2, f->top + f->h + 32);
}

static void legend_item(FILE *out, double x, double y, const char *color, const char *label,
                        bool band)
{
    if (band)
        fprintf(out,
                "<rect x=\"%.0f\" y=\"%.0f\" width=\"18\" height=\"8\" fill=\"%s\" "
                "fill-opacity=\"0.25\"/>",
                x, y - 7, color);
    else
        fprintf(out,
                "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"%s\" "
                "stroke-width=\"2\"/>",
                x, y - 3, x + 18, y - 3, color);
    fprintf(out, "<text x=\"%.0f\" y=\"%.0f\">", x + 22, y);
    cli_html_escape(out, label);
    fputs("</text>\n", out);
}

static void series_chart(FILE *out, const struct cli_report *r, const struct cli_report_series *s)
{
    size_t h = r->horizon, feat = r->featured;
    struct frame f = {.left = 64, .top = 28, .w = 640, .h = 220};
    f.x0 = -(double)s->nhist;
    f.x1 = (double)h - 1;
    if (f.x1 <= f.x0) f.x1 = f.x0 + 1;
    double lo = INFINITY, hi = -INFINITY;
    extend(&lo, &hi, s->hist, s->nhist);
    extend(&lo, &hi, s->actual, h);
    for (size_t k = 0; k < r->nmodels; k++) extend(&lo, &hi, s->mean[k], h);
    extend(&lo, &hi, s->lo[feat], h);
    extend(&lo, &hi, s->hi[feat], h);
    if (!isfinite(lo)) lo = 0, hi = 1;
    if (hi - lo < 1e-12) lo -= 1, hi += 1;
    double pad = (hi - lo) * 0.05;
    f.y0 = lo - pad;
    f.y1 = hi + pad;

    fputs("<figure>\n<figcaption>", out);
    cli_html_escape(out, s->name ? s->name : "(unnamed)");
    fputs("</figcaption>\n", out);
    fprintf(out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
            "role=\"img\" aria-label=\"forecast chart\">\n",
            f.left + f.w + 210, f.top + f.h + 42);
    axes(out, &f, r->season);
    /* The featured model's 90 % band, where it is finite. */
    const double *bl = s->lo[feat], *bh = s->hi[feat];
    bool band = true;
    for (size_t i = 0; i < h; i++) band &= isfinite(bl[i]) && isfinite(bh[i]);
    const char *fcol = palette[feat % NPALETTE];
    if (band) {
        fprintf(out, "<path fill=\"%s\" fill-opacity=\"0.2\" stroke=\"none\" d=\"", fcol);
        for (size_t i = 0; i < h; i++)
            fprintf(out, "%c%.1f %.1f ", i ? 'L' : 'M', px(&f, (double)i), py(&f, bl[i]));
        for (size_t i = h; i-- > 0;) fprintf(out, "L%.1f %.1f ", px(&f, (double)i), py(&f, bh[i]));
        fputs("Z\"/>\n", out);
    }
    fprintf(out,
            "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#666\" "
            "stroke-dasharray=\"3 3\"/>\n",
            px(&f, -0.5), f.top, px(&f, -0.5), f.top + f.h);
    path(out, &f, s->hist, s->nhist, -(double)s->nhist, "#888", "stroke-width=\"1.5\"");
    path(out, &f, s->actual, h, 0, "#111", "stroke-width=\"1.5\"");
    for (size_t k = 0; k < r->nmodels; k++)
        path(out, &f, s->mean[k], h, 0, palette[k % NPALETTE],
             k == feat ? "stroke-width=\"2\"" : "stroke-width=\"1.5\" stroke-dasharray=\"5 3\"");
    double lx = f.left + f.w + 12, ly = f.top + 10;
    legend_item(out, lx, ly, "#888", "history", false);
    legend_item(out, lx, ly += 16, "#111", "actual", false);
    for (size_t k = 0; k < r->nmodels; k++)
        legend_item(out, lx, ly += 16, palette[k % NPALETTE], r->models[k].name, false);
    if (band) {
        char lab[80];
        snprintf(lab, sizeof lab, "90%% band (%s)", r->models[feat].name);
        legend_item(out, lx, ly += 16, fcol, lab, true);
    }
    fputs("</svg>\n</figure>\n", out);
}

static int write_html(FILE *out, void *ud)
{
    const struct cli_report *r = ud;
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>", out);
    cli_html_escape(out, r->title);
    fprintf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>", css);
    cli_html_escape(out, r->title);
    fputs("</h1>\n<p>Input: ", out);
    cli_html_escape(out, r->source);
    fprintf(out,
            ". %zu series, %zu forecasts, horizon %zu, seasonal period %zu. "
            "Metrics use the M4 definitions; OWA is relative to naive2 on the same forecasts; "
            "the 90%% interval is [q0.05, q0.95]. Generated by headroom %s.</p>\n",
            r->nseries, r->nforecasts, r->horizon, r->season, HR_VERSION);
    summary_table(out, r);
    owa_chart(out, r);
    if (r->nshow) {
        fprintf(out, "<h2>Forecasts (first %zu series)</h2>\n", r->nshow);
        fputs("<p class=\"note\">Solid lines: history (grey), actuals (black) and the featured "
              "model; dashed: the other models; shaded: the featured model's 90% interval.</p>\n",
              out);
        for (size_t i = 0; i < r->nshow; i++) series_chart(out, r, &r->series[i]);
    }
    fputs("</body>\n</html>\n", out);
    return ferror(out) ? -1 : 0;
}

int cli_report_write(const char *path, const struct cli_report *r, hr_error *err)
{
    if (r->nmodels == 0 || r->featured >= r->nmodels)
        return hr_error_set(err, HR_EINVAL, "report: no models");
    return cli_write_atomic(path, write_html, (void *)r, err);
}
