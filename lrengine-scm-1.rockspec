rockspec_format = "3.0"
package = "lrengine"
version = "scm-1"
source = { url = "git+file:///dev/null" }
description = {
  summary = "Optimizers and composable learning-rate schedules in C, scriptable in Lua 5.4",
  license = "MIT",
}
dependencies = { "lua >= 5.4, < 5.5" }
build = {
  type = "builtin",
  modules = {
    ["lrengine.core"] = {
      sources = {
        "src/lua/module.c", "src/lua/tensor.c", "src/lua/schedule_lua.c", "src/lua/custom_lua.c",
        "src/lua/optim_lua.c", "src/lua/state_codec.c",
        "src/core/error.c", "src/core/params.c", "src/core/stream.c", "src/core/rng.c",
        "src/core/schedule.c", "src/core/schedule_kinds.c", "src/core/optim.c", "src/core/optim_state.c",
        "src/core/optim_f32.c", "src/core/optim_f64.c",
      },
      libraries = { "z" },
      incdirs = { "src/core" },
      defines = { "_POSIX_C_SOURCE=200809L" },
    },
    ["lrengine"] = "lua/lrengine/init.lua",
    ["lrengine.plot"] = "lua/lrengine/plot.lua",
  },
}
