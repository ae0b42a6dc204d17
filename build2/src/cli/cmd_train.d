build2/src/cli/cmd_train.o: src/cli/cmd_train.c src/cli/cli.h \
 src/host/host.h src/lua/lrengine_lua.h src/core/lrengine.h \
 /usr/include/lua5.4/lauxlib.h /usr/include/lua5.4/luaconf.h \
 /usr/include/lua5.4/lua.h /usr/include/lua5.4/lua.h \
 src/host/lrengine_script.h src/train/train.h src/train/data.h \
 src/host/lrengine_script.h src/train/mlp.h src/train/plan.h
src/cli/cli.h:
src/host/host.h:
src/lua/lrengine_lua.h:
src/core/lrengine.h:
/usr/include/lua5.4/lauxlib.h:
/usr/include/lua5.4/luaconf.h:
/usr/include/lua5.4/lua.h:
/usr/include/lua5.4/lua.h:
src/host/lrengine_script.h:
src/train/train.h:
src/train/data.h:
src/host/lrengine_script.h:
src/train/mlp.h:
src/train/plan.h:
