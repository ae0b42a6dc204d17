# lrengine -- see README.md. `make` builds everything into build/, `make test`
# runs every test, `make bench` the benchmarks, `make demo` the main job,
# `make fuzz` the fuzz harnesses (clang). `make test SANITIZE=1` builds and
# tests everything under AddressSanitizer and UndefinedBehaviorSanitizer (in
# build-san/).
#
# The source reads bottom-up in five floors, and each floor's include path
# shows only the floors below it:
#   src/core   optimizers, schedules, state streams (plain C, no Lua)
#   src/lua    the Lua binding (lrengine.core): sees the core
#   src/host   script host, sandbox, limits (liblrengine-script): sees core and binding
#   src/train  the training job: sees the core and the host's public header, no Lua
#   src/cli    the lrengine binary: sees everything

PREFIX ?= /usr/local
DESTDIR ?=
LUA_PC ?= lua5.4
LUA_VERSION ?= 5.4
CC ?= cc

# luarocks (the rockspec's "make" build) passes LUA_INCDIR; otherwise pkg-config.
ifdef LUA_INCDIR
LUA_CFLAGS := -I$(LUA_INCDIR)
else
LUA_CFLAGS := $(shell pkg-config --cflags $(LUA_PC))
endif
LUA_LIBS := $(shell pkg-config --libs $(LUA_PC))
# and the rockspec's external dependency, zlib, as ZLIB_INCDIR and ZLIB_LIBDIR
ZLIB_FLAGS := $(if $(ZLIB_INCDIR),-I$(ZLIB_INCDIR)) $(if $(ZLIB_LIBDIR),-L$(ZLIB_LIBDIR))
# and OpenBLAS as OPENBLAS_INCDIR and OPENBLAS_LIBDIR
BLAS_CFLAGS := $(if $(OPENBLAS_INCDIR),-I$(OPENBLAS_INCDIR))
BLAS_LIBS := $(if $(OPENBLAS_LIBDIR),-L$(OPENBLAS_LIBDIR)) -lopenblas
# The binary embeds Lua statically, as the stock `lua` does, so that it runs
# without liblua5.4.so installed (not for speed: static and shared liblua5.4
# measure the same in bench_script, see BENCHMARKS.md); -E and --whole-archive
# export the whole API, so C modules (lfs, lpeg...) still load with require in
# `lrengine run`.
LUA_STATIC := $(wildcard $(shell pkg-config --variable=libdir $(LUA_PC))/liblua$(LUA_VERSION).a)
ifneq ($(LUA_STATIC),)
BIN_LUA_LIBS = -Wl,-E -Wl,--whole-archive $(LUA_STATIC) -Wl,--no-whole-archive -ldl
else
BIN_LUA_LIBS = $(LUA_LIBS)
endif

WARN = -Wall -Wextra -pedantic -Wshadow -Wmissing-prototypes -Wstrict-prototypes -Wwrite-strings
# CI builds with warnings as errors: make WERROR=-Werror
WERROR ?=
CFLAGS ?= -O2 -g
LDFLAGS ?=
SAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
ifeq ($(SANITIZE),1)
B ?= build-san
CFLAGS += $(SAN_FLAGS)
LDFLAGS += $(SAN_FLAGS)
else
B ?= build
endif
BASE_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L $(WARN) $(WERROR) -fPIC -fopenmp -MMD -MP $(CFLAGS)
# The update kernels: -O3 vectorises them; sqrt needs no errno (so it vectorises too).
KERNEL_CFLAGS = -O3 -fno-math-errno

CORE_SRC := $(wildcard src/core/*.c)
LUA_SRC := $(wildcard src/lua/*.c)
HOST_SRC := $(wildcard src/host/*.c)
TRAIN_SRC := $(wildcard src/train/*.c)
CLI_SRC := $(wildcard src/cli/*.c)
LUA_FILES := $(wildcard lua/lrengine/*.lua)

CORE_OBJ := $(CORE_SRC:%.c=$(B)/%.o)
LUA_OBJ := $(LUA_SRC:%.c=$(B)/%.o)
HOST_OBJ := $(HOST_SRC:%.c=$(B)/%.o) $(B)/gen/embedded_lua.o
TRAIN_OBJ := $(TRAIN_SRC:%.c=$(B)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(B)/%.o)

# Each floor's include path.
CORE_INC = -Isrc/core $(BLAS_CFLAGS)
LUA_INC = -Isrc/core -Isrc/lua $(LUA_CFLAGS)
HOST_INC = -Isrc/core -Isrc/lua -Isrc/host $(LUA_CFLAGS)
TRAIN_INC = -Isrc/core -Isrc/host -Isrc/train $(BLAS_CFLAGS)
CLI_INC = -Isrc/core -Isrc/lua -Isrc/host -Isrc/train -Isrc/cli $(LUA_CFLAGS)

$(B)/src/core/%.o: BASE_CFLAGS += $(CORE_INC)
$(B)/src/core/optim_f32.o $(B)/src/core/optim_f64.o $(B)/src/core/optim_prodigy.o: BASE_CFLAGS += $(KERNEL_CFLAGS)
# The MLP's own loops (ReLU, its mask, bias sums) and the conversion of a
# batch's image bytes to floats vectorise at -O3.
$(B)/src/train/mlp.o: BASE_CFLAGS += -O3
$(B)/src/train/data.o: BASE_CFLAGS += -O3
$(B)/src/lua/%.o: BASE_CFLAGS += $(LUA_INC)
$(B)/src/host/%.o $(B)/gen/%.o: BASE_CFLAGS += $(HOST_INC)
$(B)/src/train/%.o: BASE_CFLAGS += $(TRAIN_INC)
$(B)/src/cli/%.o: BASE_CFLAGS += $(CLI_INC)
$(B)/src/cli/report.o: BASE_CFLAGS += -DLRE_PROGNAME='"lrengine"'

# OpenBLAS (CBLAS) for Muon's Newton-Schulz GEMMs in the core, and the training job's MLP:
# loaded when first needed (src/core/blas.h), so only its headers at build time; the
# benchmarks that call it themselves link it (BENCH_LIBS)
CORE_LIBS = $(ZLIB_FLAGS) -lz -lm -ldl -lpthread -fopenmp
BENCH_LIBS = $(BLAS_LIBS)
BIN_LIBS = $(BIN_LUA_LIBS) $(CORE_LIBS)

LIB = $(B)/liblrengine.a
SCRIPT_LIB = $(B)/liblrengine-script.a
TRAIN_LIB = $(B)/liblrengine-train.a
MODULE = $(B)/lrengine/core.so
BIN = $(B)/bin/lrengine
CTRAINER = $(B)/examples/c_trainer
BENCH = $(B)/bench/bench_core $(B)/bench/bench_script $(B)/bench/count_script $(B)/bench/bench_train

# Shared libraries beside the static ones: liblrengine.so.0 -> .so.0.1.0 (the
# soname is the major version), exporting only what the public headers
# declare (version scripts written from them by tools/exports.sh).
VERSION := $(shell sed -n 's/^\#define LRE_VERSION_STRING "\(.*\)"/\1/p' src/core/lrengine.h)
SOVERSION := $(firstword $(subst ., ,$(VERSION)))
SHLIB = $(B)/liblrengine.so.$(VERSION)
SCRIPT_SHLIB = $(B)/liblrengine-script.so.$(VERSION)
MAN = $(B)/man/lrengine.1 $(B)/man/lrengine.3

# C tests: tests/c/test_core*.c test the core alone; the other test_*.c the
# training job's parts (with the host and Lua linked in).
CTEST_SRC := $(wildcard tests/c/test_*.c)
CTESTS := $(CTEST_SRC:tests/c/%.c=$(B)/tests/%)

all: $(LIB) $(SCRIPT_LIB) $(MODULE) $(BIN) $(CTESTS) $(CTRAINER) $(SHLIB) $(SCRIPT_SHLIB) $(MAN)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -c $< -o $@

$(B)/gen/embedded_lua.c: tools/embed.lua $(LUA_FILES)
	@mkdir -p $(dir $@)
	lua5.4 tools/embed.lua $@ $(LUA_FILES)
$(B)/gen/embedded_lua.o: $(B)/gen/embedded_lua.c
	$(CC) $(BASE_CFLAGS) -c $< -o $@

$(LIB): $(CORE_OBJ)
	ar rcs $@ $^

$(SCRIPT_LIB): $(HOST_OBJ) $(LUA_OBJ)
	ar rcs $@ $^

$(TRAIN_LIB): $(TRAIN_OBJ)
	ar rcs $@ $^

# The Lua module exports luaopen_lrengine_core alone. Linked nodelete: Lua
# unloads C modules at lua_close, while the worker threads of OpenMP (a step
# with threads > 1) and OpenBLAS stay parked in their libraries' code.
$(MODULE): $(LUA_OBJ) $(CORE_OBJ) $(B)/gen/module.map
	@mkdir -p $(dir $@)
	$(CC) -shared $(LDFLAGS) -Wl,-z,nodelete -Wl,--version-script=$(B)/gen/module.map -o $@ $(LUA_OBJ) $(CORE_OBJ) $(CORE_LIBS)

$(B)/gen/module.map:
	@mkdir -p $(dir $@)
	printf '{\n  global: luaopen_lrengine_core;\n  local: *;\n};\n' >$@
$(B)/gen/liblrengine.map: src/core/lrengine.h tools/exports.sh
	@mkdir -p $(dir $@)
	CC="$(CC)" CPPFLAGS=-Isrc/core bash tools/exports.sh src/core/lrengine.h >$@
$(B)/gen/liblrengine-script.map: src/host/lrengine_script.h src/core/lrengine.h tools/exports.sh
	@mkdir -p $(dir $@)
	CC="$(CC)" CPPFLAGS=-Isrc/core bash tools/exports.sh src/host/lrengine_script.h src/core/lrengine.h >$@

# -z defs: every symbol resolved at link time (the script library's core
# calls by liblrengine.so, recorded by its soname).
$(SHLIB): $(CORE_OBJ) $(B)/gen/liblrengine.map
	$(CC) -shared $(LDFLAGS) -Wl,-z,defs -Wl,-soname,liblrengine.so.$(SOVERSION) \
	  -Wl,--version-script=$(B)/gen/liblrengine.map -o $@ $(CORE_OBJ) $(CORE_LIBS)
	ln -sf $(notdir $@) $(B)/liblrengine.so.$(SOVERSION)
	ln -sf liblrengine.so.$(SOVERSION) $(B)/liblrengine.so
$(SCRIPT_SHLIB): $(HOST_OBJ) $(LUA_OBJ) $(SHLIB) $(B)/gen/liblrengine-script.map
	$(CC) -shared $(LDFLAGS) -Wl,-z,defs -Wl,-soname,liblrengine-script.so.$(SOVERSION) \
	  -Wl,--version-script=$(B)/gen/liblrengine-script.map -o $@ $(HOST_OBJ) $(LUA_OBJ) $(SHLIB) $(LUA_LIBS) $(CORE_LIBS)
	ln -sf $(notdir $@) $(B)/liblrengine-script.so.$(SOVERSION)
	ln -sf liblrengine-script.so.$(SOVERSION) $(B)/liblrengine-script.so

# Man pages: roff sources in doc/ with the version filled in.
$(B)/man/%: doc/%.in
	@mkdir -p $(dir $@)
	sed -e 's/@VERSION@/$(VERSION)/g' $< >$@

$(BIN): $(CLI_OBJ) $(TRAIN_LIB) $(SCRIPT_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(TRAIN_LIB) $(SCRIPT_LIB) $(LIB) $(BIN_LIBS)

# (static patterns: test_core itself matches the core's rule, not the job's)
CORE_CTESTS := $(filter $(B)/tests/test_core $(B)/tests/test_core_%,$(CTESTS))
JOB_CTESTS := $(filter-out $(CORE_CTESTS),$(CTESTS))

$(CORE_CTESTS): $(B)/tests/%: tests/c/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CORE_INC) $(LDFLAGS) -o $@ $< $(LIB) $(CORE_LIBS)

# (test_plot_number includes the command line's src/cli/plot_number.c)
$(B)/tests/test_plot_number: BASE_CFLAGS += $(CLI_INC)
# (test_lua_self makes its own Lua state with the module)
$(B)/tests/test_lua_self: BASE_CFLAGS += $(LUA_INC)
$(JOB_CTESTS): $(B)/tests/%: tests/c/%.c $(TRAIN_LIB) $(SCRIPT_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(TRAIN_INC) $(LDFLAGS) -o $@ $< $(TRAIN_LIB) $(SCRIPT_LIB) $(LIB) $(BIN_LIBS)

$(CTRAINER): examples/c/trainer.c $(SCRIPT_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -Isrc/core -Isrc/host $(LDFLAGS) -o $@ $< $(SCRIPT_LIB) $(LIB) $(LUA_LIBS) $(CORE_LIBS)

$(B)/bench/bench_core: bench/bench_core.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -O3 $(CORE_INC) $(LDFLAGS) -o $@ $< $(LIB) $(CORE_LIBS) $(BENCH_LIBS)
$(B)/bench/bench_train: bench/bench_train.c $(TRAIN_LIB) $(SCRIPT_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(TRAIN_INC) $(LDFLAGS) -o $@ $< $(TRAIN_LIB) $(SCRIPT_LIB) $(LIB) $(BIN_LIBS) $(BENCH_LIBS)
$(B)/bench/count_script: bench/count_script.c $(SCRIPT_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -O2 $(HOST_INC) $(LDFLAGS) -o $@ $< $(SCRIPT_LIB) $(LIB) $(BIN_LUA_LIBS) $(CORE_LIBS)
$(B)/bench/bench_script: bench/bench_script.c $(SCRIPT_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -O3 $(HOST_INC) $(LDFLAGS) -o $@ $< $(SCRIPT_LIB) $(LIB) $(BIN_LUA_LIBS) $(CORE_LIBS)

# The whole suite runs twice: on the plain build, then on the same sources
# built with the sanitizers (build-san/). make test SANITIZE=1 runs only the
# latter.
ifeq ($(SANITIZE),1)
TEST_BUILDS = $(B)
else
TEST_BUILDS = $(B) build-san
endif
test:
	@bash tools/check-deps.sh
	@$(MAKE) --no-print-directory all
	@if command -v clang >/dev/null; then $(MAKE) --no-print-directory fuzz; fi
	@$(if $(filter build-san,$(TEST_BUILDS)),$(if $(filter 1,$(SANITIZE)),,$(MAKE) --no-print-directory all SANITIZE=1 B=build-san))
	@bash tools/run-tests.sh $(TEST_BUILDS)

# Fuzz harnesses: tests/fuzz/fuzz_NAME.c, one libFuzzer entry point each,
# seeds in tests/fuzz/corpus/NAME/. Built with clang in build-fuzz/ (every
# floor instrumented, the command line's readers of files with them: the
# binary's objects but main, as a library); tools/fuzz.sh runs them.
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_FLAGS = -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
CLI_LIB = $(B)/liblrengine-cli.a
fuzz:
	@$(MAKE) --no-print-directory B=build-fuzz CC=clang CFLAGS="-O1 -g $(FUZZ_FLAGS)" fuzz-harnesses
fuzz-harnesses: $(FUZZ_SRC:tests/fuzz/%.c=$(B)/fuzz/%)
$(CLI_LIB): $(filter-out $(B)/src/cli/main.o,$(CLI_OBJ))
	ar rcs $@ $^
$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(CLI_LIB) $(TRAIN_LIB) $(SCRIPT_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CLI_INC) -fsanitize=fuzzer,address,undefined -o $@ $< $(CLI_LIB) $(TRAIN_LIB) $(SCRIPT_LIB) $(LIB) $(LUA_LIBS) $(CORE_LIBS)

bench: all $(BENCH)
	@bash bench/run.sh

demo:
	@bash tools/demo.sh

# For luarocks: only the Lua module, installed where luarocks says.
module: $(MODULE)

install-module: $(MODULE)
	install -d $(INST_LIBDIR)/lrengine $(INST_LUADIR)/lrengine
	install -m 755 $(MODULE) $(INST_LIBDIR)/lrengine/core.so
	install -m 644 $(LUA_FILES) $(INST_LUADIR)/lrengine/

# make install PREFIX=... DESTDIR=...: the binary, headers, static and shared
# libraries, pkg-config files, the Lua module, man pages, completions, docs.
BINDIR = $(PREFIX)/bin
INCLUDEDIR = $(PREFIX)/include
LIBDIR = $(PREFIX)/lib
LUA_CMODDIR = $(LIBDIR)/lua/$(LUA_VERSION)
LUA_LMODDIR = $(PREFIX)/share/lua/$(LUA_VERSION)
MANDIR = $(PREFIX)/share/man
DOCDIR = $(PREFIX)/share/doc/lrengine
BASHCOMPDIR = $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR = $(PREFIX)/share/zsh/site-functions
DOC_FILES = README.md BENCHMARKS.md $(wildcard doc/*.md)
SHLIB_NAMES = liblrengine liblrengine-script

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(LIBDIR)/pkgconfig \
	  $(DESTDIR)$(LUA_CMODDIR)/lrengine $(DESTDIR)$(LUA_LMODDIR)/lrengine $(DESTDIR)$(MANDIR)/man1 \
	  $(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(DOCDIR) $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR)
	install -m 755 $(BIN) $(DESTDIR)$(BINDIR)/lrengine
	install -m 644 src/core/lrengine.h src/host/lrengine_script.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 644 $(LIB) $(SCRIPT_LIB) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(SHLIB) $(SCRIPT_SHLIB) $(DESTDIR)$(LIBDIR)/
	for l in $(SHLIB_NAMES); do \
	  ln -sf $$l.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$$l.so.$(SOVERSION) && \
	  ln -sf $$l.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/$$l.so || exit 1; done
	for p in lrengine lrengine-script; do \
	  bash tools/pkgconfig.sh $$p $(VERSION) $(PREFIX) $(LIBDIR) $(INCLUDEDIR) >$(DESTDIR)$(LIBDIR)/pkgconfig/$$p.pc || exit 1; done
	install -m 755 $(MODULE) $(DESTDIR)$(LUA_CMODDIR)/lrengine/core.so
	install -m 644 $(LUA_FILES) $(DESTDIR)$(LUA_LMODDIR)/lrengine/
	install -m 644 $(B)/man/lrengine.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 $(B)/man/lrengine.3 $(DESTDIR)$(MANDIR)/man3/
	install -m 644 completions/lrengine.bash $(DESTDIR)$(BASHCOMPDIR)/lrengine
	install -m 644 completions/_lrengine $(DESTDIR)$(ZSHCOMPDIR)/_lrengine
	install -m 644 $(DOC_FILES) $(DESTDIR)$(DOCDIR)/
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && command -v ldconfig >/dev/null; then ldconfig; fi

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/lrengine $(DESTDIR)$(INCLUDEDIR)/lrengine.h $(DESTDIR)$(INCLUDEDIR)/lrengine_script.h
	for l in $(SHLIB_NAMES); do \
	  rm -f $(DESTDIR)$(LIBDIR)/$$l.a $(DESTDIR)$(LIBDIR)/$$l.so $(DESTDIR)$(LIBDIR)/$$l.so.$(SOVERSION) \
	    $(DESTDIR)$(LIBDIR)/$$l.so.$(VERSION); done
	rm -f $(DESTDIR)$(LIBDIR)/pkgconfig/lrengine.pc $(DESTDIR)$(LIBDIR)/pkgconfig/lrengine-script.pc
	rm -f $(DESTDIR)$(LUA_CMODDIR)/lrengine/core.so $(addprefix $(DESTDIR)$(LUA_LMODDIR)/lrengine/,$(notdir $(LUA_FILES)))
	-rmdir $(DESTDIR)$(LUA_CMODDIR)/lrengine $(DESTDIR)$(LUA_LMODDIR)/lrengine 2>/dev/null
	rm -f $(DESTDIR)$(MANDIR)/man1/lrengine.1 $(DESTDIR)$(MANDIR)/man3/lrengine.3
	rm -f $(DESTDIR)$(BASHCOMPDIR)/lrengine $(DESTDIR)$(ZSHCOMPDIR)/_lrengine
	rm -f $(addprefix $(DESTDIR)$(DOCDIR)/,$(notdir $(DOC_FILES)))
	-rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null

# make dist: the release tarball of the working tree and its rockspec, in
# $(B)/dist (DIST_URL: where the tarball will be published).
dist:
	bash tools/dist.sh $(B)/dist $(VERSION) $(DIST_URL)

# make docs: the parameter tables of doc/schedules.md and doc/optimizers.md
# from the engine's own definitions (lrengine list --format json).
docs: $(BIN)
	$(BIN) list --format json | lua5.4 tools/gen-reference.lua doc/schedules.md doc/optimizers.md

clean:
	rm -rf build build-san build-fuzz build-rock

-include $(shell find $(B) -name '*.d' 2>/dev/null)

.PHONY: all test bench demo fuzz fuzz-harnesses install uninstall dist docs module install-module clean
