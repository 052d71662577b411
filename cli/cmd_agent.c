/* `headroom agent`: the host agent lives in daemon/agent.c. */
#include "cli/cli.h"
#include "daemon/server.h"

int cmd_agent(int argc, char **argv)
{
    return hrd_agent_main(argc, argv);
}
