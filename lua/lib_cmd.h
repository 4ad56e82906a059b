/* lua/lib_cmd.h — cdhost.libs (a Lua chunk naming the shared recipe
 * libraries, SPEC section 8) and the `cdhost lib` command. */
#ifndef CD_LIB_CMD_H
#define CD_LIB_CMD_H

#include <lua.h>

#include "../core/gitlibs.h"
#include "cli.h"

/* Evaluates root/cdhost.libs in a fresh sandboxed environment and pushes a
 * validated plain table name -> {git=, ref=, path=} (empty when the file is
 * missing or returns nothing). Raises `invalid` naming the file. */
void cd_l_libs_push(lua_State *L, const char *root);
/* Copies the table at idx (from cd_l_libs_push) into out, sorted by name.
 * Never raises; 0 or -1 when out of memory. */
int cd_l_libs_to_c(lua_State *L, int idx, struct cd_libs *out);

/* `cdhost lib sync|update [NAME]|verify|list`. */
int cd_lib_cmd(struct cd_cli *cli);

#endif
