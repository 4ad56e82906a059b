/* cdhost — deployment recipes in Lua for Kubernetes. */
#include "cli.h"

int main(int argc, char **argv)
{
	struct cd_cli cli;
	int rc = cd_cli_parse(argc, argv, &cli);
	if (rc == 0)
		rc = cd_cli_main(&cli);
	cd_cli_free(&cli);
	return rc;
}
