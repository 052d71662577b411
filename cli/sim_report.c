/* The HTML report of `headroom simulate --compare`: one self-contained file
 * (the vendored uPlot and its CSS inline, the figures as JSON inline,
 * nothing fetched) with the figures table, the predictive policy against
 * LR-MMT per day, and charts drawn by uPlot: energy, ESV and SLATAH per
 * policy and day, active hosts over time, and one host's demand with the
 * predictive policy's forecast and interval. Every string from the input
 * is HTML-escaped (tables) or JSON-escaped with '/' escaped too (data). */
#include "cli/cli.h"

#include <jansson.h>
#include <math.h>
#include <string.h>

extern const unsigned char cli_uplot_js[];
extern const size_t cli_uplot_js_len;
extern const unsigned char cli_uplot_css[];
extern const size_t cli_uplot_css_len;

static const char css[] =
    "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1040px;color:#222}"
    "table{border-collapse:collapse;margin:1em 0}th,td{padding:3px 9px;text-align:right;"
    "border-bottom:1px solid #ddd}th:first-child,td:first-child,th:nth-child(2),"
    "td:nth-child(2){text-align:left}.ok{color:#2a7d2a}.bad{color:#b22}"
    ".chart{margin:1em 0 2em}h2{margin-top:1.6em}p.note{color:#555;font-size:90%}";

/* A number for JSON: NaN and infinities become null (uPlot draws a gap). */
static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *array(const double *v, size_t n, double scale)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n && a; i++) json_array_append_new(a, num(v ? v[i] * scale : NAN));
    return a;
}

static const cli_sim_job *job(const cli_sim_cmp *c, size_t d, size_t p)
{
    return &c->jobs[d * c->npolicies + p];
}

static json_t *data_json(const cli_sim_cmp *c)
{
    json_t *days = json_array(), *pol = json_array(), *runs = json_array();
    for (size_t d = 0; d < c->ndays; d++) json_array_append_new(days, json_string(c->days[d]));
    for (size_t p = 0; p < c->npolicies; p++)
        json_array_append_new(pol, json_string(c->policies[p]));
    for (size_t d = 0; d < c->ndays; d++) {
        json_t *row = json_array();
        for (size_t p = 0; p < c->npolicies; p++) {
            const hr_sim_result *r = &job(c, d, p)->res;
            json_t *o =
                json_pack("{s:o, s:I, s:o, s:o, s:o, s:o}", "energy_kwh", num(r->energy_kwh),
                          "migrations", (json_int_t)r->migrations, "slatah_pct",
                          num(r->slatah * 100), "pdm_pct", num(r->pdm * 100), "esv_1e3",
                          num(r->esv * 1e3), "hours", array(r->t_s, r->rounds, 1 / 3600.0));
            json_object_set_new(o, "active_hosts", array(r->active_hosts, r->rounds, 1));
            json_object_set_new(o, "host_demand", array(r->host_demand, r->rounds, 1));
            json_object_set_new(o, "host_fc_mean", array(r->host_fc_mean, r->rounds, 1));
            json_object_set_new(o, "host_fc_lo", array(r->host_fc_lo, r->rounds, 1));
            json_object_set_new(o, "host_fc_hi", array(r->host_fc_hi, r->rounds, 1));
            json_array_append_new(row, o);
        }
        json_array_append_new(runs, row);
    }
    return json_pack("{s:o, s:o, s:o, s:i}", "days", days, "policies", pol, "runs", runs,
                     "watch_host", (int)c->watch_host);
}

static void figures_table(FILE *out, const cli_sim_cmp *c)
{
    fputs("<table><tr><th>day</th><th>policy</th><th>energy kWh</th><th>migrations</th>"
          "<th>SLATAH %</th><th>PDM %</th><th>SLAV &times;1e-5</th><th>ESV &times;1e-3</th>"
          "<th>host shutdowns</th><th>wall s</th></tr>\n",
          out);
    for (size_t d = 0; d < c->ndays; d++)
        for (size_t p = 0; p < c->npolicies; p++) {
            const hr_sim_result *r = &job(c, d, p)->res;
            fputs("<tr><td>", out);
            cli_html_escape(out, c->days[d]);
            fputs("</td><td>", out);
            cli_html_escape(out, c->policies[p]);
            fprintf(out,
                    "</td><td>%.5f</td><td>%zu</td><td>%.4f</td><td>%.4f</td><td>%.4f</td>"
                    "<td>%.5f</td><td>%zu</td><td>%.3f</td></tr>\n",
                    r->energy_kwh, r->migrations, r->slatah * 100, r->pdm * 100, r->slav * 1e5,
                    r->esv * 1e3, r->host_shutdowns, r->wall_s);
        }
    fputs("</table>\n", out);
}

static long policy_index(const cli_sim_cmp *c, const char *name)
{
    for (size_t p = 0; p < c->npolicies; p++)
        if (!strcmp(c->policies[p], name)) return (long)p;
    return -1;
}

/* The target per day: predictive ESV <= 0.5 x LR-MMT's, energy no
 * higher, SLATAH lower. */
static void target_table(FILE *out, const cli_sim_cmp *c)
{
    long pr = policy_index(c, "predictive"), lr = policy_index(c, "lr-mmt");
    if (pr < 0 || lr < 0) return;
    fputs("<h2>Predictive against LR-MMT per day</h2>\n<table><tr><th>day</th><th></th>"
          "<th>ESV ratio (&le; 0.5)</th><th>energy kWh (&le; LR-MMT)</th>"
          "<th>SLATAH % (&lt; LR-MMT)</th><th>migrations</th></tr>\n",
          out);
    for (size_t d = 0; d < c->ndays; d++) {
        const hr_sim_result *a = &job(c, d, (size_t)pr)->res, *b = &job(c, d, (size_t)lr)->res;
        double ratio = b->esv > 0 ? a->esv / b->esv : NAN;
        bool ok = ratio <= 0.5 && a->energy_kwh <= b->energy_kwh && a->slatah < b->slatah;
        fputs("<tr><td>", out);
        cli_html_escape(out, c->days[d]);
        fprintf(out,
                "</td><td class=\"%s\">%s</td><td>%.3f</td><td>%.2f vs %.2f</td>"
                "<td>%.3f vs %.3f</td><td>%zu vs %zu</td></tr>\n",
                ok ? "ok" : "bad", ok ? "met" : "missed", ratio, a->energy_kwh, b->energy_kwh,
                a->slatah * 100, b->slatah * 100, a->migrations, b->migrations);
    }
    fputs("</table>\n", out);
}

/* The drawing script: reads the JSON block, builds the uPlot charts. */
static const char script[] =
    "(function(){\n"
    "var D=JSON.parse(document.getElementById('hr-data').textContent);\n"
    "var pal=['#1f77b4','#d62728','#2ca02c','#9467bd','#ff7f0e','#8c564b','#e377c2','#17becf'];\n"
    "var W=Math.min(1000,document.body.clientWidth||1000);\n"
    "function box(parent){var d=document.createElement('div');d.className='chart';"
    "parent.appendChild(d);return d;}\n"
    /* grouped bars: one slot per (policy, day), a gap slot between policies */
    "function bars(el,title,key,unit){var P=D.policies.length,N=D.days.length,G=N+1;\n"
    " var x=[],ys=D.days.map(function(){return [];});\n"
    " for(var p=0;p<P;p++)for(var s=0;s<G;s++){x.push(p*G+s);\n"
    "  for(var d=0;d<N;d++)ys[d].push(s===d?D.runs[d][p][key]:null);}\n"
    " var series=[{}].concat(D.days.map(function(day,d){return {label:day,"
    "fill:pal[d%pal.length],stroke:pal[d%pal.length],"
    "paths:uPlot.paths.bars({size:[0.9,80],align:0}),points:{show:false}};}));\n"
    " new uPlot({title:title,width:W,height:260,series:series,"
    "scales:{x:{time:false,range:[-1,P*G-1]}},"
    "axes:[{splits:function(){var s=[];for(var p=0;p<P;p++)s.push(p*G+(N-1)/2);return s;},"
    "values:function(u,sp){return sp.map(function(v){return "
    "D.policies[Math.round((v-(N-1)/2)/G)];});},"
    "grid:{show:false}},{label:unit,size:70}]},[x].concat(ys),box(el));}\n"
    "function line(el,title,x,ys,labels,unit,bands){\n"
    " var series=[{label:'hour'}].concat(labels.map(function(l,i){var c=l.color||pal[i%pal.length];"
    "return {label:l.label,stroke:c,width:l.width||1.5,dash:l.dash,fill:l.fill,"
    "points:{show:false}};}));\n"
    " new uPlot({title:title,width:W,height:300,series:series,bands:bands||[],"
    "scales:{x:{time:false}},axes:[{label:'hour of the day'},{label:unit,size:60}]},"
    "[x].concat(ys),box(el));}\n"
    "var el=document.getElementById('hr-charts');\n"
    "bars(el,'Energy per policy and day','energy_kwh','kWh');\n"
    "bars(el,'ESV (energy x SLAV) per policy and day','esv_1e3','ESV x 1e-3');\n"
    "bars(el,'SLATAH per policy and day','slatah_pct','% of active time');\n"
    "bars(el,'Migrations per policy and day','migrations','migrations');\n"
    "D.days.forEach(function(day,d){var r=D.runs[d];\n"
    " line(el,'Active hosts over time, '+day,r[0].hours,r.map(function(x){return x.active_hosts;}),"
    "D.policies.map(function(p){return {label:p};}),'hosts');});\n"
    "var pi=D.policies.indexOf('predictive');\n"
    "D.days.forEach(function(day,d){var r=D.runs[d][pi<0?0:pi];\n"
    " var who=(pi<0?D.policies[0]:'predictive');\n"
    " var ys=[r.host_demand],lab=[{label:'demand',color:'#222',width:2}],bands=[];\n"
    " if(pi>=0){ys.push(r.host_fc_hi,r.host_fc_lo,r.host_fc_mean);\n"
    "  lab.push({label:'planned (sum of 90 % quantiles)',color:'#9ecae1',width:1},"
    "{label:'sum of 10 % quantiles',color:'#9ecae1',width:1},"
    "{label:'forecast mean',color:'#d62728',dash:[6,4]});\n"
    "  bands=[{series:[2,3],fill:'rgba(31,119,180,0.18)'}];}\n"
    " line(el,'Host '+D.watch_host+' under '+who+', '+day+': demand and one-step forecast',"
    "r.hours,ys,lab,'fraction of capacity',bands);});\n"
    "})();\n";

int cli_sim_report_write(FILE *out, void *ud)
{
    const cli_sim_cmp *c = ud;
    json_t *data = data_json(c);
    if (!data) return -1;
    char *js = json_dumps(data, JSON_COMPACT | JSON_ESCAPE_SLASH | JSON_REAL_PRECISION(8));
    json_decref(data);
    if (!js) return -1;
    fputs("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<title>headroom simulate: policy comparison</title>\n<style>",
          out);
    fwrite(cli_uplot_css, 1, cli_uplot_css_len, out);
    fprintf(out, "</style>\n<style>%s</style>\n<script>", css);
    fwrite(cli_uplot_js, 1, cli_uplot_js_len, out);
    fputs("</script>\n</head><body>\n<h1>headroom simulate: policy comparison</h1>\n"
          "<p class=\"note\">CloudSim 3.0.3's datacenter model (800 hosts unless stated), the "
          "control loop of headroom, each policy over each day's trace. SLATAH: share of active "
          "host time at full CPU; PDM: performance lost to migrations; ESV = energy x SLATAH x "
          "PDM.</p>\n",
          out);
    figures_table(out, c);
    target_table(out, c);
    fputs("<h2>Charts</h2>\n<div id=\"hr-charts\"></div>\n"
          "<script type=\"application/json\" id=\"hr-data\">",
          out);
    fputs(js, out);
    free(js);
    fprintf(out, "</script>\n<script>%s</script>\n</body></html>\n", script);
    return ferror(out) ? -1 : 0;
}
