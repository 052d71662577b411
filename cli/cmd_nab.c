/* headroom nab score: NAB's scorer over a results directory. */
#include "cli/cli.h"

#include <headroom/anomaly.h>

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void nab_help(FILE *out)
{
    fprintf(out, "usage: headroom nab score --data DATA_DIR --labels combined_windows.json\n"
                 "                          --profiles profiles.json --results RESULTS_DIR\n"
                 "                          [--threshold X]\n\n"
                 "Score a detector's NAB results the way NAB does: every file named in the labels\n"
                 "is read from DATA_DIR (timestamps) and from RESULTS_DIR (anomaly_score column),\n"
                 "found as RESULTS_DIR/<category>/<file> or, NAB's layout,\n"
                 "RESULTS_DIR/<category>/<detector>_<file> with <detector> the last component of\n"
                 "RESULTS_DIR. One threshold per profile is chosen for the whole corpus, unless\n"
                 "--threshold fixes it. Prints one line per profile: the normalised score\n"
                 "(null detector 0, perfect 100), the threshold, the raw score and NAB's row\n"
                 "counts.\n");
}

/* RESULTS_DIR/<key>, else RESULTS_DIR/<dir of key>/<detector>_<file>. */
static int results_path(const char *dir, const char *key, char *buf, size_t size)
{
    size_t dl = strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/') dl--;
    int n = snprintf(buf, size, "%.*s/%s", (int)dl, dir, key);
    if (n < 0 || (size_t)n >= size) return -1;
    if (access(buf, F_OK) == 0) return 0;
    const char *det = dir;
    for (size_t i = 0; i < dl; i++)
        if (dir[i] == '/' && i + 1 < dl) det = dir + i + 1;
    const char *slash = strrchr(key, '/');
    size_t cl = slash ? (size_t)(slash - key) + 1 : 0;
    n = snprintf(buf, size, "%.*s/%.*s%.*s_%s", (int)dl, dir, (int)cl, key,
                 (int)(dl - (size_t)(det - dir)), det, key + cl);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

static int add_file(hr_nab_scorer *sc, const hr_nab_labels *lab, size_t i, const char *data,
                    const char *results, hr_error *err)
{
    const char *key = hr_nab_labels_key(lab, i);
    char dpath[4096], rpath[4096];
    int n = snprintf(dpath, sizeof dpath, "%s/%s", data, key);
    if (n < 0 || (size_t)n >= sizeof dpath || results_path(results, key, rpath, sizeof rpath) < 0)
        return hr_error_set(err, HR_EINVAL, "%s: path too long", key);
    hr_csv_rows rows = {0};
    double *s = NULL;
    size_t ns = 0;
    int rc = hr_series_read_csv_rows(dpath, &rows, err);
    if (rc == 0) rc = hr_nab_results_read(rpath, &s, &ns, err);
    if (rc == 0 && ns != rows.len)
        rc = hr_error_set(err, HR_EDATA, "%s: %zu result rows for %zu data rows in %s", rpath, ns,
                          rows.len, dpath);
    const hr_nab_window *w;
    size_t nw = hr_nab_labels_windows(lab, i, &w);
    if (rc == 0) rc = hr_nab_scorer_add(sc, key, rows.t, s, rows.len, w, nw, err);
    free(s);
    hr_csv_rows_release(&rows);
    return rc;
}

static int nab_score(int argc, char **argv)
{
    static const struct option lopts[] = {{"data", required_argument, NULL, 'd'},
                                          {"labels", required_argument, NULL, 'l'},
                                          {"profiles", required_argument, NULL, 'p'},
                                          {"results", required_argument, NULL, 'r'},
                                          {"threshold", required_argument, NULL, 't'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    const char *data = NULL, *labels = NULL, *profiles = NULL, *results = NULL;
    double thr = NAN;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "d:l:p:r:t:h", lopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            data = optarg;
            break;
        case 'l':
            labels = optarg;
            break;
        case 'p':
            profiles = optarg;
            break;
        case 'r':
            results = optarg;
            break;
        case 't':
            if (hr_parse_double_z(optarg, &thr) < 0)
                return cli_usage("nab score", "--threshold: \"%s\" is not a number", optarg);
            break;
        case 'h':
            nab_help(stdout);
            return CLI_OK;
        default:
            return cli_usage("nab score", "unknown option");
        }
    }
    if (optind < argc) return cli_usage("nab score", "unexpected argument \"%s\"", argv[optind]);
    if (!data || !labels || !profiles || !results)
        return cli_usage("nab score", "--data, --labels, --profiles and --results are required");
    hr_error err = {0};
    hr_nab_profile prof[HR_NAB_MAX_PROFILES];
    hr_nab_labels *lab = NULL;
    hr_nab_scorer *sc = NULL;
    int np = hr_nab_profiles_read(profiles, prof, HR_NAB_MAX_PROFILES, &err);
    int rc = np < 0 ? np : hr_nab_labels_read(labels, &lab, &err);
    if (rc == 0) rc = hr_nab_scorer_new(prof, (size_t)np, &sc, &err);
    for (size_t i = 0; rc == 0 && i < hr_nab_labels_count(lab); i++)
        rc = add_file(sc, lab, i, data, results, &err);
    for (size_t p = 0; rc == 0 && p < (size_t)np; p++) {
        hr_nab_result r;
        rc = isnan(thr) ? hr_nab_scorer_optimize(sc, p, &r, &err)
                        : hr_nab_scorer_at(sc, p, thr, &r, &err);
        if (rc == 0)
            printf("%-20s score %9.4f  threshold %.12g  raw %.6f  windows %zu  tp %zu fp %zu fn "
                   "%zu tn %zu\n",
                   prof[p].name, r.score, r.threshold, r.raw, r.windows, r.tp, r.fp, r.fn, r.tn);
    }
    hr_nab_scorer_free(sc);
    hr_nab_labels_free(lab);
    return rc < 0 ? cli_data_error(&err) : CLI_OK;
}

int cmd_nab(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        nab_help(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EUSAGE : CLI_OK;
    }
    if (!strcmp(argv[1], "score")) return nab_score(argc - 1, argv + 1);
    return cli_usage("nab", "unknown subcommand \"%s\" (expected \"score\")", argv[1]);
}
