/* Shared declarations of the headroom command's subcommands. The CLI uses
 * the public API only (include/headroom). */
#ifndef HR_CLI_H
#define HR_CLI_H

#include <headroom/headroom.h>

struct hr_cmd {
    const char *name;
    const char *summary;
    int (*fn)(int argc, char **argv); /* argv[0] is the command name; returns the exit code */
};

int cmd_version(int argc, char **argv);

#endif
