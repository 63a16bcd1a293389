# bylaw — build, test and run. `make` builds ./bylaw, `make test` runs every test,
# `make run` starts the service on the defaults, `make deps` installs the Debian packages.

PKGS      := lua5.4 libuv sqlite3 libmicrohttpd libcjson libedit nettle libseccomp
TEST_PKGS := cmocka libcurl
DEB_PKGS  := build-essential pkg-config liblua5.4-dev libuv1-dev libsqlite3-dev libmicrohttpd-dev \
             libcjson-dev libedit-dev nettle-dev libseccomp-dev libcmocka-dev libcurl4-openssl-dev curl \
             sqlite3 lua5.4 bc wrk valgrind clang libclang-rt-14-dev

# Install the libraries by themselves when pkg-config cannot find one (fresh machine).
ifeq ($(filter deps clean,$(MAKECMDGOALS)),)
  ifneq ($(shell pkg-config --exists $(PKGS) $(TEST_PKGS) 2>/dev/null && echo ok),ok)
    $(info bylaw: some libraries are missing; running 'make deps' first)
    $(shell $(MAKE) --no-print-directory deps >&2)
  endif
endif

CC      ?= cc
OPT     ?= -O2 -g
CFLAGS  += -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(OPT) -Wall -Wextra -Werror \
           -Wshadow -Wstrict-prototypes -Wno-unused-parameter -Icore -Ibindings \
           $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm -lpthread
BUILD   ?= build

LIB_SRC  := $(filter-out core/main.c,$(wildcard core/*.c)) $(wildcard bindings/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all test unit asan-unit test-valgrind run deps bench fuzz clean
all: bylaw

bylaw: $(BUILD)/core/main.o $(BUILD)/libbylaw.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/libbylaw.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/%.o: %.c $(wildcard core/*.h bindings/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libbylaw.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(shell pkg-config --cflags $(TEST_PKGS)) -o $@ $< $(BUILD)/libbylaw.a \
	    $(shell pkg-config --libs $(TEST_PKGS)) $(LDLIBS)

unit: $(UNIT_BIN)

# gcc 12 misreports vsnprintf(NULL, 0, ...) under -fsanitize=undefined, hence -Wno-format-truncation.
ASAN_OPT := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all -Wno-format-truncation

# The whole suite: C unit tests, policy tests, end-to-end tests, then the same
# suite again under ASan+UBSan. tests/run prints the closing 'N passed, N failed'.
test: bylaw unit
	@$(MAKE) --no-print-directory BUILD=build/asan OPT="$(ASAN_OPT)" \
	    LDFLAGS="-fsanitize=address,undefined" build/asan/bylaw-asan asan-unit
	@tests/run

# Sanitizer build of the binary and the unit tests (used by `make test`).
$(BUILD)/bylaw-asan: $(BUILD)/core/main.o $(BUILD)/libbylaw.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
asan-unit: $(UNIT_BIN)

test-valgrind: bylaw unit
	@VALGRIND=1 tests/run

run: bylaw
	./bylaw serve

bench: bylaw
	@tests/bench/run

# Fuzzing (not part of `make test`): FUZZ_SECONDS of libFuzzer on records through the example policies.
FUZZ_SECONDS ?= 60
fuzz:
	@mkdir -p build/fuzz
	clang -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O1 -Wall -Wextra -Werror -Wno-unused-parameter \
	    -fsanitize=fuzzer,address,undefined -Icore -Ibindings $(shell pkg-config --cflags $(PKGS)) \
	    -o build/fuzz/fuzz_record tests/fuzz/fuzz_record.c $(LIB_SRC) $(LDLIBS)
	@mkdir -p build/fuzz/corpus && cp tests/fuzz/corpus/* build/fuzz/corpus/
	build/fuzz/fuzz_record -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -rss_limit_mb=2048 build/fuzz/corpus

deps:
	@if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	 $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $(DEB_PKGS)

clean:
	rm -rf build bylaw
