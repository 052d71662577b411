/* `headroom serve` and `headroom token`: the daemon lives in daemon/. */
#include "cli/cli.h"
#include "daemon/server.h"

int cmd_serve(int argc, char **argv)
{
    return hrd_serve_main(argc, argv);
}

int cmd_token(int argc, char **argv)
{
    return hrd_token_main(argc, argv);
}
