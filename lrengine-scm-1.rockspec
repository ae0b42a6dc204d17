rockspec_format = "3.0"
package = "lrengine"
version = "scm-1"
-- In a checkout, `luarocks make` builds this working tree and fetches
-- nothing. `make dist` writes the release tarball and its versioned rockspec
-- (build/dist/lrengine-VERSION-1.rockspec) for `luarocks pack` and
-- `luarocks build`, and the same files as build/dist/lrengine-scm.tar.gz,
-- this rockspec's source.
source = { url = "file://build/dist/lrengine-scm.tar.gz" }
description = {
  summary = "Optimizers and composable learning-rate schedules in C, scriptable in Lua 5.4",
  detailed = [[
SGD, Adam, AdamW, Adagrad, RMSprop, Adadelta, Adamax, NAdam, RAdam, Rprop, ASGD and Lion
with PyTorch 1.13's semantics, in fused float32/float64 passes over tensors; learning-rate
schedules as closed forms that compose (a plateau rule inside warmup + cosine); any
hyper-parameter driven by a schedule or a Lua function; state that saves and resumes bit
for bit.]],
  license = "MIT",
  labels = { "machine-learning", "optimization" },
}
dependencies = { "lua >= 5.4, < 5.5" }
-- zlib for the state streams' CRC-32, OpenBLAS (CBLAS) for Muon's matrix
-- products; the Makefile also links OpenMP (GCC's libgomp).
external_dependencies = {
  ZLIB = { header = "zlib.h", library = "z" },
  OPENBLAS = { library = "openblas" }, -- (Debian keeps cblas.h under include/x86_64-linux-gnu)
}
-- The Makefile builds the module (lrengine.core, with the kernels' own flags
-- and OpenMP) in build-rock/ and installs it with the pure-Lua files; the
-- reference documentation goes with the rock (luarocks doc lrengine).
build = {
  type = "make",
  build_target = "module",
  build_variables = {
    B = "build-rock", CFLAGS = "$(CFLAGS)", LUA_INCDIR = "$(LUA_INCDIR)",
    ZLIB_INCDIR = "$(ZLIB_INCDIR)", ZLIB_LIBDIR = "$(ZLIB_LIBDIR)",
    OPENBLAS_INCDIR = "$(OPENBLAS_INCDIR)", OPENBLAS_LIBDIR = "$(OPENBLAS_LIBDIR)",
  },
  install_target = "install-module",
  install_variables = { B = "build-rock", INST_LIBDIR = "$(LIBDIR)", INST_LUADIR = "$(LUADIR)" },
  copy_directories = { "doc" },
}
-- The specs that need only the module (.busted's "module" task), against
-- the module built in build-rock/.
test = {
  type = "command",
  command = "make B=build-rock module && busted --run=module",
}
