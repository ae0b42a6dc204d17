rockspec_format = "3.0"
package = "lrengine"
version = "scm-1"
source = { url = "git+file:///dev/null" }
description = {
  summary = "Optimizers and composable learning-rate schedules in C, scriptable in Lua 5.4",
  license = "MIT",
}
dependencies = { "lua >= 5.4, < 5.5" }
-- The Makefile builds the module (lrengine.core, with the kernels' own
-- flags and OpenMP) and installs it with the pure-Lua files.
build = {
  type = "make",
  build_target = "module",
  build_variables = { CFLAGS = "$(CFLAGS)", LUA_INCDIR = "$(LUA_INCDIR)" },
  install_target = "install-module",
  install_variables = { INST_LIBDIR = "$(LIBDIR)", INST_LUADIR = "$(LUADIR)" },
}
