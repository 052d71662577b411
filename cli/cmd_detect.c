/* headroom detect: streaming anomaly detection. */
#include "cli/cli.h"

int cmd_detect(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cli_usage("detect", "no input");
}
