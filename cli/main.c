/* The headroom command: dispatch to subcommands from a static table. */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

static const struct hr_cmd commands[] = {
    {"forecast", "forecast a series (or an M4 file) with intervals", cmd_forecast},
    {"backtest", "measure forecast accuracy (rolling origin or M4 split)", cmd_backtest},
    {"detect", "detect anomalies in a series or a NAB corpus, explain them", cmd_detect},
    {"nab", "score detector results with the NAB scorer (nab score)", cmd_nab},
    {"simulate", "replay a trace through the control loop (the twin)", cmd_simulate},
    {"roadef", "ROADEF/EURO 2012 machine reassignment: solve or check", cmd_roadef},
    {"partition", "split a host among its tenants (cgroups, tc) from forecasts", cmd_partition},
    {"vm", "run, resize and live-migrate QEMU micro-VMs", cmd_vm},
    {"place", "target placement and migration plan for a JSON fleet", cmd_place},
    {"serve", "run the daemon: telemetry store, forecasts, HTTP API", cmd_serve},
    {"token", "create an API token for the daemon", cmd_token},
    {"agent", "push this host's CPU, memory, network (per cgroup, QEMU) to a daemon", cmd_agent},
    {"version", "print the version", cmd_version},
};
#define NCMD (sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
    fprintf(out, "usage: headroom <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < NCMD; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nRun 'headroom <command> --help' for a command's options.\n");
}

int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("headroom %s\n", HR_VERSION);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) return cmd_version(argc - 1, argv + 1);
    for (size_t i = 0; i < NCMD; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "headroom: unknown command \"%s\"\n", argv[1]);
    usage(stderr);
    return 2;
}
