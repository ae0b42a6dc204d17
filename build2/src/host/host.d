build2/src/host/host.o: src/host/host.c src/host/host.h \
 src/lua/lrengine_lua.h src/core/lrengine.h /usr/include/lua5.4/lauxlib.h \
 /usr/include/lua5.4/luaconf.h /usr/include/lua5.4/lua.h \
 /usr/include/lua5.4/lua.h src/host/lrengine_script.h \
 /usr/include/lua5.4/lualib.h
src/host/host.h:
src/lua/lrengine_lua.h:
src/core/lrengine.h:
/usr/include/lua5.4/lauxlib.h:
/usr/include/lua5.4/luaconf.h:
/usr/include/lua5.4/lua.h:
/usr/include/lua5.4/lua.h:
src/host/lrengine_script.h:
/usr/include/lua5.4/lualib.h:
