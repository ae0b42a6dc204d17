build2/src/cli/lint.o: src/cli/lint.c src/cli/lint.h src/cli/cli.h \
 src/host/host.h src/lua/lrengine_lua.h src/core/lrengine.h \
 /usr/include/lua5.4/lauxlib.h /usr/include/lua5.4/luaconf.h \
 /usr/include/lua5.4/lua.h /usr/include/lua5.4/lua.h \
 src/host/lrengine_script.h
src/cli/lint.h:
src/cli/cli.h:
src/host/host.h:
src/lua/lrengine_lua.h:
src/core/lrengine.h:
/usr/include/lua5.4/lauxlib.h:
/usr/include/lua5.4/luaconf.h:
/usr/include/lua5.4/lua.h:
/usr/include/lua5.4/lua.h:
src/host/lrengine_script.h:
