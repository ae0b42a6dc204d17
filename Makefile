# lrengine -- see README.md. `make` builds everything into build/, `make test`
# runs every test, `make bench` the benchmarks, `make demo` the main job.

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
# The binary embeds Lua statically, as the stock `lua` does: its calls into
# Lua skip the shared library's indirections (about 10% on a script schedule,
# BENCHMARKS.md). -E and --whole-archive export the whole API, so C modules
# (lfs, lpeg...) still load with require in `lrengine run`.
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
BASE_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L $(WARN) $(WERROR) -fPIC -fopenmp $(CFLAGS)
# The update kernels: -O3 vectorises them; sqrt needs no errno (so it vectorises too).
KERNEL_CFLAGS = -O3 -fno-math-errno
SAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

B = build
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

CORE_LIBS = -lz -lm -fopenmp
BIN_LIBS = $(BIN_LUA_LIBS) -lopenblas $(CORE_LIBS)

LIB = $(B)/liblrengine.a
SCRIPT_LIB = $(B)/liblrengine-script.a
MODULE = $(B)/lrengine/core.so
BIN = $(B)/bin/lrengine
CTESTS = $(B)/tests/test_core
CTRAINER = $(B)/examples/c_trainer
BENCH = $(B)/bench/bench_core $(B)/bench/bench_script

all: $(LIB) $(SCRIPT_LIB) $(MODULE) $(BIN) $(CTESTS) $(CTRAINER)

$(B)/src/core/optim_f32.o $(B)/src/core/optim_f64.o: BASE_CFLAGS += $(KERNEL_CFLAGS)
$(B)/src/lua/%.o $(B)/src/host/%.o $(B)/src/cli/%.o $(B)/src/train/%.o $(B)/gen/%.o: BASE_CFLAGS += $(LUA_CFLAGS) -Isrc/core -Isrc/host -Isrc/cli -Isrc/train
$(B)/src/cli/main.o: BASE_CFLAGS += -DLRE_PROGNAME='"lrengine"'

$(B)/%.o: %.c $(wildcard src/*/*.h) | $(B)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -c $< -o $@

$(B)/gen/embedded_lua.c: tools/embed.lua $(LUA_FILES)
	@mkdir -p $(dir $@)
	lua5.4 tools/embed.lua $@ $(LUA_FILES)
$(B)/gen/embedded_lua.o: $(B)/gen/embedded_lua.c
	$(CC) $(BASE_CFLAGS) -Isrc/host -c $< -o $@

$(B):
	@mkdir -p $(B)

$(LIB): $(CORE_OBJ)
	ar rcs $@ $^

$(SCRIPT_LIB): $(HOST_OBJ) $(LUA_OBJ)
	ar rcs $@ $^

$(MODULE): $(LUA_OBJ) $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) -shared -o $@ $^ $(CORE_LIBS)

$(BIN): $(CLI_OBJ) $(TRAIN_OBJ) $(SCRIPT_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $(CLI_OBJ) $(TRAIN_OBJ) $(SCRIPT_LIB) $(LIB) $(BIN_LIBS)

$(CTESTS): tests/c/test_core.c tests/c/test.h $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -Isrc/core -o $@ $< $(LIB) $(CORE_LIBS)

$(CTRAINER): examples/c/trainer.c $(SCRIPT_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -Isrc/core -Isrc/host -o $@ $< $(SCRIPT_LIB) $(LIB) $(LUA_LIBS) $(CORE_LIBS)

# The C tests again, under AddressSanitizer and UndefinedBehaviorSanitizer.
$(B)/asan/test_core: tests/c/test_core.c tests/c/test.h $(CORE_SRC)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(SAN_FLAGS) -Isrc/core -o $@ tests/c/test_core.c $(CORE_SRC) $(CORE_LIBS)

$(B)/bench/bench_core: bench/bench_core.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -O3 -Isrc/core -o $@ $< $(LIB) $(CORE_LIBS)
$(B)/bench/bench_script: bench/bench_script.c $(SCRIPT_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(LUA_CFLAGS) -O3 -Isrc/core -Isrc/host -o $@ $< $(SCRIPT_LIB) $(LIB) $(BIN_LUA_LIBS) $(CORE_LIBS)

test: all $(B)/asan/test_core
	@bash tools/run-tests.sh

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

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib
	install -d $(DESTDIR)$(PREFIX)/lib/lua/$(LUA_VERSION)/lrengine $(DESTDIR)$(PREFIX)/share/lua/$(LUA_VERSION)/lrengine
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/lrengine
	install -m 644 src/core/lrengine.h src/host/lrengine_script.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 $(LIB) $(SCRIPT_LIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(MODULE) $(DESTDIR)$(PREFIX)/lib/lua/$(LUA_VERSION)/lrengine/core.so
	install -m 644 $(LUA_FILES) $(DESTDIR)$(PREFIX)/share/lua/$(LUA_VERSION)/lrengine/

clean:
	rm -rf $(B)

.PHONY: all test bench demo install module install-module clean
