# bylaw — build, test and run. `make` builds ./bylaw, `make test` runs every test,
# `make run` starts the service on the defaults, `make deps` installs the Debian packages,
# `make install` installs under PREFIX (docs/operations.md).

PKGS      := lua5.4 libuv sqlite3 libmicrohttpd libcjson libedit nettle libseccomp libcurl
TEST_PKGS := cmocka
# Debian packages: what building needs (debian/control's Build-Depends lists the same; the package
# test compares them), what the tests need, what building the .deb needs. `make deps` installs all.
BUILD_DEBS   := pkg-config liblua5.4-dev libuv1-dev libsqlite3-dev libmicrohttpd-dev libcjson-dev \
                libedit-dev nettle-dev libseccomp-dev libcurl4-openssl-dev
TEST_DEBS    := libcmocka-dev curl sqlite3 lua5.4 bc wrk valgrind clang \
                libclang-rt-14-dev groff-base tmux python3-prometheus-client
PACKAGE_DEBS := debhelper dpkg-dev fakeroot
RUN_DEBS     := build-essential $(BUILD_DEBS)
DEB_PKGS     := $(RUN_DEBS) $(TEST_DEBS) $(PACKAGE_DEBS)

# Install what is missing by itself (a fresh machine): for building and running (`make`, `make run`)
# the libraries pkg-config finds, nothing of the tests' (`make deps-run`); for the goals that test,
# also every test package (`make deps`: valgrind, clang, the tools the end-to-end tests drive).
TEST_GOALS := $(filter test unit asan-unit test-valgrind fuzz bench,$(MAKECMDGOALS))
NEED_PKGS  := $(PKGS) $(if $(TEST_GOALS),$(TEST_PKGS))
ifeq ($(filter deps deps-run clean print-%,$(MAKECMDGOALS)),)
  ifneq ($(shell pkg-config --exists $(NEED_PKGS) 2>/dev/null && \
                 { [ -z "$(TEST_GOALS)" ] || ! dpkg-query -W -f='$${db:Status-Abbrev}\n' $(TEST_DEBS) 2>&1 | grep -qv '^ii'; } && \
                 echo ok),ok)
    $(info bylaw: some packages are missing; running 'make $(if $(TEST_GOALS),deps,deps-run)' first)
    $(shell $(MAKE) --no-print-directory $(if $(TEST_GOALS),deps,deps-run) >&2)
  endif
endif

CC      ?= cc
OPT     ?= -O2 -g
CFLAGS  += -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(OPT) -Wall -Wextra -Werror \
           -Wshadow -Wstrict-prototypes -Wno-unused-parameter -Icore -Ibindings \
           $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libcurl is opened at run time, by `repl --connect` only (core/repl_remote.c): its headers, not its
# twenty libraries at every start; the unit tests (test_http drives the server with it) link it.
LDLIBS  += $(shell pkg-config --libs $(filter-out libcurl,$(PKGS)) 2>/dev/null) -lm -lpthread
BUILD   ?= build

# Where `make install` puts things (DESTDIR: a staging root, as the Debian package build uses).
PREFIX   ?= /usr/local
BINDIR   := $(PREFIX)/bin
SHAREDIR := $(PREFIX)/share/bylaw
MANDIR   := $(PREFIX)/share/man
DOCDIR   := $(PREFIX)/share/doc/bylaw

LIB_SRC  := $(filter-out core/main.c,$(wildcard core/*.c)) $(wildcard bindings/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all test unit asan-unit test-valgrind run deps deps-run bench fuzz clean install uninstall FORCE
all: bylaw

bylaw: $(BUILD)/core/main.o $(BUILD)/libbylaw.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The installed scripts directory is built into main.o (find_scripts in core/main.c); the stamp
# holds it, so that another PREFIX rebuilds main.o.
$(BUILD)/core/main.o: $(BUILD)/scripts-dir
$(BUILD)/core/main.o: CPPFLAGS += -DBL_SCRIPTS_DIR='"$(SHAREDIR)/scripts"'
$(BUILD)/scripts-dir: FORCE
	@mkdir -p $(@D)
	@echo '$(SHAREDIR)/scripts' | cmp -s - $@ || echo '$(SHAREDIR)/scripts' > $@

$(BUILD)/libbylaw.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/%.o: %.c $(wildcard core/*.h bindings/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libbylaw.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(shell pkg-config --cflags $(TEST_PKGS)) -o $@ $< $(BUILD)/libbylaw.a \
	    $(shell pkg-config --libs $(TEST_PKGS) libcurl) $(LDLIBS)

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
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
asan-unit: $(UNIT_BIN)

test-valgrind: bylaw unit
	@VALGRIND=1 tests/run

run: bylaw
	./bylaw serve

bench: bylaw
	@tests/bench/run

# Fuzzing (not part of `make test`): FUZZ_SECONDS of libFuzzer on each target: fuzz_record (records
# through the example policies) and fuzz_http (bytes on a connection: HTTP, router, body, record, policies).
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= fuzz_record fuzz_http
fuzz:
	@mkdir -p build/fuzz
	@for t in $(FUZZ_TARGETS); do \
	  clang -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O1 -Wall -Wextra -Werror -Wno-unused-parameter \
	    -fsanitize=fuzzer,address,undefined -Icore -Ibindings $(shell pkg-config --cflags $(PKGS)) \
	    -o build/fuzz/$$t tests/fuzz/$$t.c $(LIB_SRC) $(LDLIBS) || exit 1; \
	  rm -rf build/fuzz/corpus-$$t && mkdir -p build/fuzz/corpus-$$t && cp tests/fuzz/corpus-$$t/* build/fuzz/corpus-$$t/; \
	  echo "== $$t: $(FUZZ_SECONDS) s"; \
	  build/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -rss_limit_mb=2048 -timeout=10 \
	    build/fuzz/corpus-$$t || exit 1; \
	done

deps deps-run:
	@if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	 $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
	   $(if $(filter deps-run,$@),$(RUN_DEBS),$(DEB_PKGS))

# The program, its Lua library, the example policies (examples: the service reads the policy
# directory its config names), man pages and docs. The Debian package: debian/rules.
EXAMPLES := packaging/bylaw.json packaging/bylaw.service
install: bylaw
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SHAREDIR)/scripts $(DESTDIR)$(SHAREDIR)/policies \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(DOCDIR)/examples
	install -m 0755 bylaw $(DESTDIR)$(BINDIR)/
	install -m 0644 scripts/*.lua $(DESTDIR)$(SHAREDIR)/scripts/
	install -m 0644 policies/*.lua $(DESTDIR)$(SHAREDIR)/policies/
	install -m 0644 docs/man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 docs/man/*.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 README.md docs/*.md $(DESTDIR)$(DOCDIR)/
	install -m 0644 $(EXAMPLES) $(DESTDIR)$(DOCDIR)/examples/

# Removes what `make install` put there, by name; directories only when left empty.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/bylaw $(addprefix $(DESTDIR)$(SHAREDIR)/,$(wildcard scripts/*.lua policies/*.lua)) \
	    $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(wildcard docs/man/*.1))) \
	    $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(wildcard docs/man/*.5))) \
	    $(addprefix $(DESTDIR)$(DOCDIR)/,$(notdir $(wildcard README.md docs/*.md)) $(EXAMPLES:packaging/%=examples/%))
	rmdir $(DESTDIR)$(SHAREDIR)/scripts $(DESTDIR)$(SHAREDIR)/policies $(DESTDIR)$(SHAREDIR) \
	    $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) 2>/dev/null || true

# `make print-BUILD_DEBS` prints a variable (the package test reads the lists).
print-%:
	@echo '$($*)'

clean:
	rm -rf build bylaw
