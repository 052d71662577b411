/* headroom vm: placeholder replaced below. */
#include "cli/cli.h"
int cmd_vm(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return 2;
}
