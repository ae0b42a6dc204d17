build-clang/src/train/findlr.o: src/train/findlr.c src/train/train.h \
  src/cli/cli.h src/host/host.h src/lua/lrengine_lua.h \
  src/core/lrengine.h /usr/include/lua5.4/lauxlib.h \
  /usr/include/lua5.4/luaconf.h /usr/include/lua5.4/lua.h \
  src/host/lrengine_script.h src/train/data.h src/train/mlp.h \
  src/train/rng.h

src/train/train.h:

src/cli/cli.h:

src/host/host.h:

src/lua/lrengine_lua.h:

src/core/lrengine.h:

/usr/include/lua5.4/lauxlib.h:

/usr/include/lua5.4/luaconf.h:

/usr/include/lua5.4/lua.h:

src/host/lrengine_script.h:

src/train/data.h:

src/train/mlp.h:

src/train/rng.h:
