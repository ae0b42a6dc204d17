build2/src/cli/jsonl.o: src/cli/jsonl.c src/cli/jsonl.h
src/cli/jsonl.h:
