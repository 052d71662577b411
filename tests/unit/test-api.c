/* The daemon's HTTP API on a real SQLite file and a real socket (127.0.0.1,
 * ephemeral port): every endpoint with good and bad input, auth and scopes,
 * nothing stored by a refused request. */
#include "testutil.h"

#include "daemon/server.h"

#include <snappy-c.h>

#include "remote.pb-c.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

static char dir[256];
static hrd_server *srv;
static char tok_admin[65], tok_read[65], tok_write[65];

typedef struct resp {
    int status;
    char *headers; /* raw header block */
    char *body;
    json_t *json;
} resp;

static void resp_free(resp *r)
{
    free(r->headers);
    free(r->body);
    json_decref(r->json);
    memset(r, 0, sizeof *r);
}

/* One HTTP/1.1 request with "Connection: close"; reads until EOF. */
static resp http(const char *method, const char *path, const char *tok, const char *ctype,
                 const char *body, size_t len)
{
    resp r = {0};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(hrd_server_port(srv))};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    char head[1024];
    int n = snprintf(head, sizeof head,
                     "%s %s HTTP/1.1\r\nHost: test\r\nConnection: close\r\n%s%s%s"
                     "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n",
                     method, path, tok ? "Authorization: Bearer " : "", tok ? tok : "",
                     tok ? "\r\n" : "", ctype ? ctype : "application/json", body ? len : 0);
    assert_int_equal(write(fd, head, (size_t)n), n);
    for (size_t off = 0; body && off < len;) {
        ssize_t w = write(fd, body + off, len - off);
        if (w <= 0) break; /* the server may refuse a huge body early */
        off += (size_t)w;
    }
    size_t cap = 65536, got = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (got + 1 >= cap) buf = realloc(buf, cap *= 2);
        ssize_t k = read(fd, buf + got, cap - got - 1);
        if (k <= 0) break;
        got += (size_t)k;
    }
    buf[got] = 0;
    close(fd);
    assert_true(sscanf(buf, "HTTP/1.1 %d", &r.status) == 1);
    char *sep = strstr(buf, "\r\n\r\n");
    assert_non_null(sep);
    *sep = 0;
    r.headers = strdup(buf);
    r.body = strdup(sep + 4);
    free(buf);
    if (r.body[0]) r.json = json_loads(r.body, JSON_DECODE_ANY, NULL);
    return r;
}

static resp get(const char *path, const char *tok)
{
    return http("GET", path, tok, NULL, NULL, 0);
}

static resp post(const char *path, const char *tok, const char *body)
{
    return http("POST", path, tok, NULL, body, strlen(body));
}

/* Assert a JSON error: status, code and (if given) the field. */
static void want_error(resp *r, int status, const char *code, const char *field)
{
    if (r->status != status) print_error("status %d: %s\n", r->status, r->body);
    assert_int_equal(r->status, status);
    assert_non_null(r->json);
    assert_string_equal(json_string_value(json_object_get(r->json, "code")), code);
    assert_non_null(json_string_value(json_object_get(r->json, "message")));
    if (field) assert_string_equal(json_string_value(json_object_get(r->json, "field")), field);
    resp_free(r);
}

static size_t nseries(void)
{
    resp r = get("/api/v1/series?limit=1000", tok_read);
    assert_int_equal(r.status, 200);
    size_t n = json_array_size(json_object_get(r.json, "items"));
    resp_free(&r);
    return n;
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/hr-test-api-XXXXXX");
    if (!mkdtemp(dir)) return -1;
    hrd_config c;
    hrd_config_defaults(&c);
    snprintf(c.listen, sizeof c.listen, "127.0.0.1:0");
    snprintf(c.data, sizeof c.data, "%s", dir);
    c.max_body_bytes = 256 * 1024;
    c.threads = 2;
    hr_error err = {0};
    if (hrd_server_start(&c, &srv, &err) < 0) {
        fprintf(stderr, "start: %s\n", err.msg);
        return -1;
    }
    hrd_store *s = hrd_server_store(srv);
    if (hrd_token_create(s, "admin", tok_admin, &err) ||
        hrd_token_create(s, "read", tok_read, &err) ||
        hrd_token_create(s, "write", tok_write, &err))
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    hrd_server_stop(srv);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

static void test_auth(void **state)
{
    (void)state;
    resp r = get("/healthz", NULL);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    want_error((r = get("/api/v1/series", NULL), &r), 401, "unauthorized", NULL);
    char bad[65];
    memcpy(bad, tok_admin, sizeof bad);
    bad[10] = bad[10] == '0' ? '1' : '0';
    want_error((r = get("/api/v1/series", bad), &r), 401, "unauthorized", NULL);
    want_error((r = get("/metrics", NULL), &r), 401, "unauthorized", NULL);
    /* read cannot write, write cannot administer */
    want_error((r = post("/api/v1/samples", tok_read, "{}"), &r), 403, "forbidden", NULL);
    want_error((r = post("/api/v1/tenants", tok_write, "{\"name\":\"x\"}"), &r), 403, "forbidden",
               NULL);
    want_error((r = get("/api/v1/nosuch/a/b", tok_read), &r), 404, "not_found", NULL);
    want_error((r = http("DELETE", "/api/v1/samples", tok_admin, NULL, NULL, 0), &r), 405,
               "method_not_allowed", NULL);
}

static void test_samples(void **state)
{
    (void)state;
    resp r = post("/api/v1/samples", tok_write,
                  "[{\"series\":\"cpu.a\",\"labels\":{\"host\":\"a\"},"
                  "\"samples\":[[1000,1.5],[700,-2],[1300,null]]},"
                  "{\"series\":\"cpu.b\",\"samples\":[[5,1e300]]}]");
    assert_int_equal(r.status, 204);
    assert_null(strstr(r.headers, "X-Headroom-Skipped"));
    resp_free(&r);
    r = get("/api/v1/series/cpu.a/samples", tok_read);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body,
                        "{\"series\":\"cpu.a\",\"samples\":[[700,-2],[1000,1.5],[1300,null]],"
                        "\"next\":null}");
    resp_free(&r);
    /* range, limit and the next cursor */
    r = get("/api/v1/series/cpu.a/samples?from=800&to=2000&limit=1", tok_read);
    assert_string_equal(r.body, "{\"series\":\"cpu.a\",\"samples\":[[1000,1.5]],\"next\":1001}");
    resp_free(&r);
    r = get("/api/v1/series/cpu.a/samples?from=1970-01-01T00:16:40Z&to=1000", tok_read);
    assert_string_equal(r.body, "{\"series\":\"cpu.a\",\"samples\":[[1000,1.5]],\"next\":null}");
    resp_free(&r);
    /* a retry is idempotent and says what it skipped */
    r = post("/api/v1/samples", tok_write,
             "{\"series\":\"cpu.a\",\"samples\":[[1000,1.5],[1600,4]]}");
    assert_int_equal(r.status, 204);
    assert_non_null(strstr(r.headers, "X-Headroom-Skipped: 1"));
    resp_free(&r);
    assert_int_equal(nseries(), 2);

    /* Bad input: 4xx naming the field, nothing stored. */
    static const struct {
        const char *body, *code, *field;
    } bad[] = {
        {"{\"series\":\"x\",\"samples\":[[1,2]", "bad_json", NULL},
        {"", "bad_json", NULL},
        {"{\"series\":\"x\",\"samples\":[[1,2]],\"series\":\"y\"}", "bad_json", NULL},
        {"42", "invalid_field", ""},
        {"{\"samples\":[[1,2]]}", "invalid_field", "series"},
        {"{\"series\":7,\"samples\":[]}", "invalid_field", "series"},
        {"{\"series\":\"a b\",\"samples\":[]}", "invalid_field", "series"},
        {"{\"series\":\"x\"}", "invalid_field", "samples"},
        {"{\"series\":\"x\",\"samples\":{}}", "invalid_field", "samples"},
        {"{\"series\":\"x\",\"samples\":[[1,2],[3]]}", "invalid_field", "samples[1]"},
        {"{\"series\":\"x\",\"samples\":[[1,2],[\"3\",4]]}", "invalid_field", "samples[1][0]"},
        {"{\"series\":\"x\",\"samples\":[[1.5,2]]}", "invalid_field", "samples[0][0]"},
        {"{\"series\":\"x\",\"samples\":[[1,true]]}", "invalid_field", "samples[0][1]"},
        {"{\"series\":\"x\",\"labels\":{\"a\":1},\"samples\":[]}", "invalid_field", "labels.a"},
        {"{\"series\":\"x\",\"labels\":[],\"samples\":[]}", "invalid_field", "labels"},
        {"{\"series\":\"x\",\"extra\":1,\"samples\":[]}", "invalid_field", "extra"},
        {"[{\"series\":\"x\",\"samples\":[[1,2]]},{\"series\":\"y\",\"samples\":[[1,\"v\"]]}]",
         "invalid_field", "[1].samples[0][1]"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = post("/api/v1/samples", tok_write, bad[i].body);
        if (r.status != 400) print_error("case %zu: %d %s\n", i, r.status, r.body);
        want_error(&r, 400, bad[i].code, bad[i].field);
    }
    assert_int_equal(nseries(), 2);
    /* A body over the limit (256 KiB here): 413 before it is stored. */
    size_t big = 400 * 1024;
    char *body = malloc(big + 1);
    memset(body, ' ', big);
    body[big] = 0;
    memcpy(body, "{\"series\":\"huge\",\"samples\":[]}", 30);
    r = http("POST", "/api/v1/samples", tok_write, NULL, body, big);
    free(body);
    want_error(&r, 413, "too_large", NULL);
    assert_int_equal(nseries(), 2);
    want_error((r = get("/api/v1/series/nosuch/samples", tok_read), &r), 404, "not_found", NULL);
    want_error((r = get("/api/v1/series/cpu.a/samples?from=abc", tok_read), &r), 400,
               "invalid_field", "from");
    want_error((r = get("/api/v1/series/cpu.a/samples?limit=0", tok_read), &r), 400,
               "invalid_field", "limit");
}

static void test_line_protocol(void **state)
{
    (void)state;
    const char *lp = "disk,host=a,path=/var free=10i,used=0.5 1700000000000000000\n"
                     "disk,path=/var,host=a free=11i 1700000060000000000\n";
    resp r = http("POST", "/api/v1/write", tok_write, "text/plain", lp, strlen(lp));
    assert_int_equal(r.status, 204);
    resp_free(&r);
    r = get("/api/v1/series/disk.free,host=a,path=/var/samples", tok_read);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"series\":\"disk.free,host=a,path=/var\",\"samples\":"
                                "[[1700000000,10],[1700000060,11]],\"next\":null}");
    resp_free(&r);
    size_t before = nseries();
    /* The second line is bad: nothing of the body is stored. */
    const char *bad = "new.one v=1 1\nnew.two v=x 2\n";
    r = http("POST", "/api/v1/write?precision=s", tok_write, "text/plain", bad, strlen(bad));
    assert_non_null(strstr(r.body, "line 2: bad field value \\\"x\\\""));
    want_error(&r, 400, "bad_line_protocol", "body");
    r = http("POST", "/api/v1/write?precision=h", tok_write, "text/plain", "m v=1", 5);
    want_error(&r, 400, "bad_line_protocol", "precision");
    r = http("POST", "/api/v1/write", tok_write, "text/plain", "m\\ x v=1", 8);
    want_error(&r, 400, "bad_line_protocol", "body");
    assert_int_equal(nseries(), before);
}

/* A remote-write body: one series up{job="api"} with two samples. */
static char *remote_write(size_t *len, const char *name)
{
    Prometheus__Label l[2];
    prometheus__label__init(&l[0]);
    prometheus__label__init(&l[1]);
    l[0].name = "__name__", l[0].value = (char *)name;
    l[1].name = "job", l[1].value = "api";
    Prometheus__Label *lp[2] = {&l[0], &l[1]};
    Prometheus__Sample sm[2];
    Prometheus__Sample *sp[2] = {&sm[0], &sm[1]};
    for (int i = 0; i < 2; i++) {
        prometheus__sample__init(&sm[i]);
        sm[i].value = 1 + i;
        sm[i].timestamp = 1700000000000 + 60000 * i;
    }
    Prometheus__TimeSeries ts;
    prometheus__time_series__init(&ts);
    ts.n_labels = 2, ts.labels = lp, ts.n_samples = 2, ts.samples = sp;
    Prometheus__TimeSeries *tsp[1] = {&ts};
    Prometheus__WriteRequest wr;
    prometheus__write_request__init(&wr);
    wr.n_timeseries = 1, wr.timeseries = tsp;
    size_t plen = prometheus__write_request__get_packed_size(&wr);
    uint8_t *raw = malloc(plen);
    prometheus__write_request__pack(&wr, raw);
    size_t clen = snappy_max_compressed_length(plen);
    char *out = malloc(clen);
    assert_int_equal(snappy_compress((const char *)raw, plen, out, &clen), SNAPPY_OK);
    free(raw);
    *len = clen;
    return out;
}

static void test_remote_write(void **state)
{
    (void)state;
    size_t len;
    char *body = remote_write(&len, "up");
    resp r = http("POST", "/api/v1/prom/write", tok_write, "application/x-protobuf", body, len);
    assert_int_equal(r.status, 204);
    resp_free(&r);
    free(body);
    r = get("/api/v1/series/up,job=api/samples", tok_read);
    assert_string_equal(r.body, "{\"series\":\"up,job=api\",\"samples\":"
                                "[[1700000000,1],[1700000060,2]],\"next\":null}");
    resp_free(&r);
    size_t before = nseries();
    /* bad snappy, bad protobuf inside good snappy, a name that is not a key */
    r = http("POST", "/api/v1/prom/write", tok_write, "application/x-protobuf", "\xff\xff\xff", 3);
    assert_non_null(strstr(r.body, "snappy"));
    want_error(&r, 400, "bad_remote_write", "body");
    char comp[64];
    size_t clen = sizeof comp;
    assert_int_equal(snappy_compress("\x0a\x05\x0a\x03", 4, comp, &clen), SNAPPY_OK);
    r = http("POST", "/api/v1/prom/write", tok_write, "application/x-protobuf", comp, clen);
    assert_non_null(strstr(r.body, "protobuf"));
    want_error(&r, 400, "bad_remote_write", "body");
    body = remote_write(&len, "has space");
    r = http("POST", "/api/v1/prom/write", tok_write, "application/x-protobuf", body, len);
    free(body);
    assert_non_null(strstr(r.body, "is not a series name"));
    want_error(&r, 400, "bad_remote_write", "body");
    assert_int_equal(nseries(), before);
    body = remote_write(&len, "up");
    r = http("POST", "/api/v1/prom/write", tok_read, "application/x-protobuf", body, len);
    free(body);
    want_error(&r, 403, "forbidden", NULL);
}

static void test_forecast(void **state)
{
    (void)state;
    /* A PlanetLab day (288 x 5 min) through the API, then a forecast. */
    hr_series s;
    hr_error err = {0};
    assert_int_equal(hr_series_read_lines(test_data("planetlab/planetlab1_fit_vutbr_cz_nyu_d"),
                                          1299110400, 300, &s, &err),
                     0);
    json_t *arr = json_array();
    for (size_t i = 0; i < s.len; i++)
        json_array_append_new(
            arr, json_pack("[I,f]", (json_int_t)(s.start + 300 * (int64_t)i), s.values[i]));
    json_t *doc = json_pack("{s:s, s:o}", "series", "pl.cpu", "samples", arr);
    char *body = json_dumps(doc, 0);
    json_decref(doc);
    resp r = post("/api/v1/samples", tok_write, body);
    free(body);
    assert_int_equal(r.status, 204);
    resp_free(&r);
    r = get("/api/v1/series/pl.cpu/forecast?horizon=6&quantiles=0.1,0.5,0.9", tok_read);
    assert_int_equal(r.status, 200);
    json_t *j = r.json;
    assert_int_equal(json_integer_value(json_object_get(j, "step")), 300);
    assert_int_equal(json_integer_value(json_object_get(j, "history")), 288);
    assert_int_equal(json_integer_value(json_object_get(j, "origin")), 1299110400 + 287 * 300);
    json_t *pts = json_object_get(j, "forecast");
    assert_int_equal(json_array_size(pts), 6);
    double lo = 1e9, hi = -1e9;
    for (size_t i = 0; i < s.len; i++) lo = fmin(lo, s.values[i]), hi = fmax(hi, s.values[i]);
    for (size_t i = 0; i < 6; i++) {
        json_t *p = json_array_get(pts, i);
        assert_int_equal(json_integer_value(json_object_get(p, "t")),
                         1299110400 + (287 + (int64_t)i + 1) * 300);
        json_t *q = json_object_get(p, "quantiles");
        double q1 = json_real_value(json_array_get(q, 0)),
               q5 = json_real_value(json_array_get(q, 1)),
               q9 = json_real_value(json_array_get(q, 2));
        assert_true(q1 <= q5 && q5 <= q9 && q1 < q9);
        /* the median stays within the day's range */
        assert_true(q5 >= lo - 1e-9 && q5 <= hi + 1e-9);
    }
    resp_free(&r);
    hr_series_release(&s);
    r = get("/metrics", tok_read);
    assert_non_null(strstr(r.body, "headroom_forecast_next{series=\"pl.cpu\",quantile=\"0.5\"}"));
    resp_free(&r);
    want_error((r = get("/api/v1/series/pl.cpu/forecast?horizon=0", tok_read), &r), 400,
               "invalid_field", "horizon");
    want_error((r = get("/api/v1/series/pl.cpu/forecast?quantiles=0.9,0.1", tok_read), &r), 400,
               "invalid_field", "quantiles");
    want_error((r = get("/api/v1/series/pl.cpu/forecast?model=crystal", tok_read), &r), 400,
               "invalid_field", "model");
    want_error((r = get("/api/v1/series/nosuch/forecast", tok_read), &r), 404, "not_found", NULL);
    want_error((r = get("/api/v1/series/cpu.b/forecast", tok_read), &r), 422, "unusable_data",
               NULL);
}

static void test_objects(void **state)
{
    (void)state;
    resp r;
    for (int i = 0; i < 5; i++) {
        char b[64];
        snprintf(b, sizeof b, "{\"name\":\"t%d\",\"contact\":\"ops\"}", i);
        r = post("/api/v1/tenants", tok_admin, b);
        assert_int_equal(r.status, 201);
        resp_free(&r);
    }
    want_error((r = post("/api/v1/tenants", tok_admin, "{\"name\":\"t0\"}"), &r), 409, "exists",
               NULL);
    want_error((r = post("/api/v1/tenants", tok_admin, "{\"name\":\"a b\"}"), &r), 422,
               "invalid_field", "name");
    /* pagination: 2 + 2 + 1 */
    r = get("/api/v1/tenants?limit=2", tok_read);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 2);
    assert_string_equal(json_string_value(json_object_get(r.json, "next")), "t1");
    resp_free(&r);
    r = get("/api/v1/tenants?limit=2&after=t3", tok_read);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 1);
    assert_true(json_is_null(json_object_get(r.json, "next")));
    resp_free(&r);
    /* SLAs are validated field by field */
    want_error((r = post("/api/v1/slas", tok_admin,
                         "{\"name\":\"gold\",\"class\":\"latency\",\"priority\":1,"
                         "\"target_quantile\":1.5,\"max_violation\":0.01}"),
                &r),
               422, "invalid_field", "target_quantile");
    want_error(
        (r = post("/api/v1/slas", tok_admin, "{\"name\":\"gold\",\"class\":\"latency\"}"), &r), 422,
        "missing_field", "priority");
    r = post("/api/v1/slas", tok_admin,
             "{\"name\":\"gold\",\"class\":\"latency\",\"priority\":1,\"target_quantile\":0.99,"
             "\"max_violation\":0.01}");
    assert_int_equal(r.status, 201);
    resp_free(&r);
    want_error((r = post("/api/v1/workloads", tok_admin,
                         "{\"name\":\"web\",\"tenant\":\"t0\",\"sla\":\"silver\"}"),
                &r),
               422, "invalid_field", "sla");
    r = post("/api/v1/workloads", tok_admin,
             "{\"name\":\"web\",\"tenant\":\"t0\",\"sla\":\"gold\",\"series\":\"pl.cpu\"}");
    assert_int_equal(r.status, 201);
    resp_free(&r);
    r = http("PUT", "/api/v1/workloads/web", tok_admin, NULL,
             "{\"tenant\":\"t1\",\"sla\":\"gold\"}", 28);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    r = get("/api/v1/workloads/web", tok_read);
    assert_string_equal(json_string_value(json_object_get(r.json, "tenant")), "t1");
    assert_string_equal(json_string_value(json_object_get(r.json, "name")), "web");
    resp_free(&r);
    r = http("DELETE", "/api/v1/workloads/web", tok_admin, NULL, NULL, 0);
    assert_int_equal(r.status, 204);
    resp_free(&r);
    want_error((r = get("/api/v1/workloads/web", tok_read), &r), 404, "not_found", NULL);
    want_error((r = get("/api/v1/gadgets", tok_read), &r), 404, "not_found", NULL);
}

static void test_modes_and_more(void **state)
{
    (void)state;
    resp r = get("/api/v1/fleets/edge/mode", tok_read);
    assert_string_equal(json_string_value(json_object_get(r.json, "mode")), "observe");
    resp_free(&r);
    r = http("PUT", "/api/v1/fleets/edge/mode", tok_admin, NULL, "{\"mode\":\"predictive\"}", 21);
    assert_int_equal(r.status, 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "mode")), "predictive");
    assert_true(json_is_false(json_object_get(r.json, "loop_running")));
    resp_free(&r);
    r = http("PUT", "/api/v1/fleets/edge/mode", tok_admin, NULL, "{\"mode\":\"yolo\"}", 15);
    want_error(&r, 400, "invalid_field", "mode");
    r = get("/api/v1/fleets/edge/mode", tok_read);
    assert_string_equal(json_string_value(json_object_get(r.json, "mode")), "predictive");
    resp_free(&r);
    r = get("/api/v1/journal", tok_read);
    json_t *items = json_object_get(r.json, "items");
    assert_true(json_array_size(items) >= 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(items, 0), "kind")),
                        "mode");
    resp_free(&r);
    want_error((r = get("/api/v1/plan", tok_read), &r), 503, "not_configured", NULL);
    want_error((r = post("/api/v1/plan/apply", tok_admin, "{}"), &r), 503, "not_configured", NULL);
    /* tokens through the API */
    r = post("/api/v1/tokens", tok_admin, "{\"scope\":\"read\"}");
    assert_int_equal(r.status, 201);
    const char *t = json_string_value(json_object_get(r.json, "token"));
    assert_int_equal(strlen(t), 64);
    resp r2 = get("/api/v1/series", t);
    assert_int_equal(r2.status, 200);
    resp_free(&r2);
    resp_free(&r);
    want_error((r = post("/api/v1/tokens", tok_admin, "{\"scope\":\"root\"}"), &r), 400,
               "invalid_field", "scope");
    /* the OpenAPI document */
    r = get("/api/v1/openapi.json", tok_read);
    assert_int_equal(r.status, 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "openapi")), "3.0.3");
    assert_non_null(json_object_get(json_object_get(r.json, "paths"), "/api/v1/samples"));
    resp_free(&r);
    r = get("/metrics", tok_read);
    assert_non_null(strstr(r.body, "# TYPE headroom_samples_stored_total counter"));
    assert_non_null(strstr(r.body, "headroom_http_rejected_total{reason=\"auth\"}"));
    resp_free(&r);
    /* rate limit after a reload: 2 requests per second, a burst of 6 */
    hrd_config c;
    hrd_config_defaults(&c);
    c.max_body_bytes = 256 * 1024;
    c.rate_limit_rps = 2;
    hrd_server_reload(srv, &c);
    int limited = 0;
    for (int i = 0; i < 6; i++) {
        r = get("/api/v1/series", tok_read);
        limited += r.status == 429;
        resp_free(&r);
    }
    assert_true(limited >= 3);
    c.rate_limit_rps = 0;
    hrd_server_reload(srv, &c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auth),           cmocka_unit_test(test_samples),
        cmocka_unit_test(test_line_protocol),  cmocka_unit_test(test_remote_write),
        cmocka_unit_test(test_forecast),       cmocka_unit_test(test_objects),
        cmocka_unit_test(test_modes_and_more),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
