/* `headroom serve` and `headroom token`: options, configuration, signals.
 *
 * Signals are blocked in every thread and taken by sigwait() in the main
 * thread: SIGTERM and SIGINT stop the server gracefully (requests in
 * flight finish, queued writes commit), SIGHUP reloads the configuration
 * file (rate limit, body limit, forecast history; the listen address and
 * data directory need a restart).
 *
 * The control loop (daemon/ctl.c: lib/loop.c's step every loop.interval
 * over the store's telemetry, the planner of the fleet's mode and the
 * configured driver) starts once the server listens; loop.driver "none"
 * leaves it off, and then the plan endpoints answer 503 "not_configured". */
#include "daemon/api.h"
#include "daemon/ctl.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void serve_usage(FILE *out)
{
    fprintf(out,
            "usage: headroom serve [--config FILE] [--listen ADDR:PORT] [--data DIR]\n"
            "                      [--port-file FILE]\n"
            "\n"
            "Run the headroom daemon: telemetry ingestion and storage, forecasts, the API.\n"
            "\n"
            "  -c, --config FILE     YAML configuration (default: embedded defaults)\n"
            "  -l, --listen ADDR:PORT  listen address (default 127.0.0.1:8080; port 0 picks one)\n"
            "  -d, --data DIR        data directory (default ./headroom-data)\n"
            "      --port-file FILE  write the bound port to FILE once listening\n"
            "  -h, --help            this help\n"
            "\n"
            "Every endpoint but /healthz needs a token: headroom token create --data DIR --scope "
            "admin\n"
            "SIGTERM/SIGINT stop gracefully; SIGHUP reloads the configuration file.\n");
}

static int start_control_loop(hrd_server *srv, const hrd_config *c, hr_error *err)
{
    if (!strcmp(c->loop_driver, "none")) {
        fprintf(stderr, "headroom: control loop off (loop.driver: none); plans answer 503\n");
        return 0;
    }
    hrd_ctl *cl = NULL;
    int rc = hrd_ctl_start(srv->store, c, &cl, err);
    if (rc < 0) return rc;
    atomic_store(&srv->ctl, cl);
    fprintf(stderr, "headroom: control loop every %.0f s on the %s driver\n",
            c->loop_interval_sec < 1 ? 1 : c->loop_interval_sec, c->loop_driver);
    return 0;
}

int hrd_serve_main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"listen", required_argument, NULL, 'l'},
        {"data", required_argument, NULL, 'd'},   {"port-file", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    const char *config = NULL, *listen = NULL, *data = NULL, *port_file = NULL;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "c:l:d:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'c':
            config = optarg;
            break;
        case 'l':
            listen = optarg;
            break;
        case 'd':
            data = optarg;
            break;
        case 'p':
            port_file = optarg;
            break;
        case 'h':
            serve_usage(stdout);
            return 0;
        default:
            serve_usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "headroom: serve: unexpected argument \"%s\"\n", argv[optind]);
        return 2;
    }
    hrd_config cfg;
    hrd_config_defaults(&cfg);
    hr_error err = {0};
    if (config && hrd_config_load(config, &cfg, &err) < 0) {
        fprintf(stderr, "headroom: %s\n", hr_error_message(&err));
        return 1;
    }
    if ((listen && strlen(listen) >= sizeof cfg.listen) ||
        (data && strlen(data) >= sizeof cfg.data)) {
        fprintf(stderr, "headroom: serve: --listen or --data too long\n");
        return 2;
    }
    if (listen) snprintf(cfg.listen, sizeof cfg.listen, "%s", listen);
    if (data) snprintf(cfg.data, sizeof cfg.data, "%s", data);

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    hrd_server *srv = NULL;
    if (hrd_server_start(&cfg, &srv, &err) < 0) {
        fprintf(stderr, "headroom: %s\n", hr_error_message(&err));
        return 1;
    }
    char host[128];
    snprintf(host, sizeof host, "%s", cfg.listen);
    char *colon = strrchr(host, ':');
    if (colon) *colon = 0;
    fprintf(stderr, "headroom: serving on %s://%s:%u (data in %s)\n",
            cfg.tls_cert[0] ? "https" : "http", host, hrd_server_port(srv), cfg.data);
    if (port_file) {
        char buf[16];
        int n = snprintf(buf, sizeof buf, "%u\n", hrd_server_port(srv));
        if (hr_write_file_atomic(port_file, buf, (size_t)n, &err) < 0) {
            fprintf(stderr, "headroom: %s\n", hr_error_message(&err));
            hrd_server_stop(srv);
            return 1;
        }
    }
    if (start_control_loop(srv, &cfg, &err) < 0) {
        fprintf(stderr, "headroom: %s\n", hr_error_message(&err));
        hrd_server_stop(srv);
        return 1;
    }
    for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0) continue;
        if (sig == SIGHUP) {
            if (!config) {
                fprintf(stderr, "headroom: SIGHUP: no configuration file to reload\n");
                continue;
            }
            hrd_config nc;
            hrd_config_defaults(&nc);
            hr_error e2 = {0};
            if (hrd_config_load(config, &nc, &e2) < 0) {
                fprintf(stderr, "headroom: reload refused: %s\n", hr_error_message(&e2));
                continue;
            }
            hrd_server_reload(srv, &nc);
            fprintf(stderr, "headroom: configuration reloaded from %s\n", config);
            continue;
        }
        fprintf(stderr, "headroom: %s: stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
        break;
    }
    hrd_server_stop(srv);
    fprintf(stderr, "headroom: stopped\n");
    return 0;
}

int hrd_token_main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'},
        {"scope", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *data = "./headroom-data", *scope = NULL;
    int ch;
    optind = 1;
    if (argc < 2 || strcmp(argv[1], "create")) {
        if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
            printf("usage: headroom token create [--data DIR] --scope read|write|admin\n");
            return 0;
        }
        fprintf(stderr, "usage: headroom token create [--data DIR] --scope read|write|admin\n");
        return 2;
    }
    while ((ch = getopt_long(argc - 1, argv + 1, "d:s:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            data = optarg;
            break;
        case 's':
            scope = optarg;
            break;
        case 'h':
            printf("usage: headroom token create [--data DIR] --scope read|write|admin\n"
                   "Creates a token, stores its SHA-256 hash in DIR and prints the token once.\n");
            return 0;
        default:
            return 2;
        }
    }
    if (!scope) {
        fprintf(stderr, "headroom: token: --scope read|write|admin is required\n");
        return 2;
    }
    if (!hrd_scope_rank(scope)) {
        fprintf(stderr, "headroom: token: --scope: \"%s\" is not one of read, write, admin\n",
                scope);
        return 2;
    }
    hrd_store_opts so = {.dir = data};
    hrd_store *s = NULL;
    hr_error err = {0};
    char tok[65];
    if (hrd_store_open(&so, &s, &err) < 0 || hrd_token_create(s, scope, tok, &err) < 0) {
        fprintf(stderr, "headroom: %s\n", hr_error_message(&err));
        hrd_store_close(s);
        return 1;
    }
    hrd_store_close(s);
    printf("%s\n", tok);
    return 0;
}
