build2/src/host/schedule_set.o: src/host/schedule_set.c src/host/host.h \
 src/lua/lrengine_lua.h src/core/lrengine.h /usr/include/lua5.4/lauxlib.h \
 /usr/include/lua5.4/luaconf.h /usr/include/lua5.4/lua.h \
 /usr/include/lua5.4/lua.h src/host/lrengine_script.h
src/host/host.h:
src/lua/lrengine_lua.h:
src/core/lrengine.h:
/usr/include/lua5.4/lauxlib.h:
/usr/include/lua5.4/luaconf.h:
/usr/include/lua5.4/lua.h:
/usr/include/lua5.4/lua.h:
src/host/lrengine_script.h:
