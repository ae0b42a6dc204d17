build2/src/lua/env.o: src/lua/env.c src/lua/lrengine_lua.h \
 src/core/lrengine.h /usr/include/lua5.4/lauxlib.h \
 /usr/include/lua5.4/luaconf.h /usr/include/lua5.4/lua.h \
 /usr/include/lua5.4/lua.h
src/lua/lrengine_lua.h:
src/core/lrengine.h:
/usr/include/lua5.4/lauxlib.h:
/usr/include/lua5.4/luaconf.h:
/usr/include/lua5.4/lua.h:
/usr/include/lua5.4/lua.h:
