# peakdesk build. `make` builds everything into build/ (binaries in build/bin/).
# Flavours share this file: SAN=1 builds with ASan+UBSan into build/san,
# FUZZ=1 builds the library with clang coverage instrumentation into build/fuzz.
#
# Sources are found by wildcard so a new file needs no Makefile change:
#   common/*.c                  -> libpeakdesk.a
#   services/NAME/*.c           -> libpd_NAME.a (all but main.c) + bin/peakdesk-NAME
#   services/cli/*.c            -> bin/peakdesk
#   tests/unit/*_test.c         -> one Check executable each

CC      ?= cc
ifeq ($(SAN),1)
BUILD   := build/san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else ifeq ($(FUZZ),1)
BUILD   := build/fuzz
CC      := clang
SANFLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
else
BUILD   := $(or $(BUILD_DIR),build)
SANFLAGS :=
endif

GEN     := $(BUILD)/gen
OBJ     := $(BUILD)/obj
BIN     := $(BUILD)/bin
LIBDIR  := $(BUILD)/lib

CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter \
           -Wno-missing-field-initializers -MMD -MP $(SANFLAGS) \
           -I$(GEN) -Icommon -I$(shell pg_config --includedir 2>/dev/null || echo /usr/include/postgresql) \
           $(shell pkg-config --cflags json-c libevent libprotobuf-c check gmime-3.0 libxml-2.0 2>/dev/null)
# Generated protobuf-c code is not ours to fix: compile it with warnings but not as errors.
GENFLAGS := $(filter-out -Werror,$(CFLAGS))
LDLIBS  := -lnng -lpq -lprotobuf-c -ljson-c -levent -levent_pthreads -luuid -lcrypto -lpthread -lm \
           $(shell pkg-config --libs gmime-3.0 libxml-2.0 libcurl 2>/dev/null)
LDFLAGS += $(SANFLAGS)

PROTOS      := $(wildcard proto/*.proto)
GEN_C       := $(patsubst proto/%.proto,$(GEN)/%.pb-c.c,$(PROTOS))
GEN_H       := $(GEN_C:.c=.h)
GEN_O       := $(patsubst $(GEN)/%.c,$(OBJ)/gen/%.o,$(GEN_C))
COMMON_SRC  := $(wildcard common/*.c)
COMMON_O    := $(patsubst %.c,$(OBJ)/%.o,$(COMMON_SRC))
LIBPD       := $(LIBDIR)/libpeakdesk.a

# A service directory becomes a library as soon as it has sources, and a
# binary once it has a main.c.
# The CLI is a library too (all but its main.c), so unit tests reach its
# pure parts (the report's charts).
SERVICES    := $(notdir $(patsubst %/,%,$(dir $(wildcard services/*/*.c))))
SERVICES    := $(sort $(SERVICES))
SERVICE_MAINS := $(notdir $(patsubst %/main.c,%,$(filter-out services/cli/main.c,$(wildcard services/*/main.c))))
SERVICE_BINS := $(patsubst %,$(BIN)/peakdesk-%,$(SERVICE_MAINS))
SERVICE_LIBS := $(patsubst %,$(LIBDIR)/libpd_%.a,$(SERVICES))

UNIT_SRC    := $(wildcard tests/unit/*_test.c)
UNIT_BINS   := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
TOOL_SRC    := $(wildcard tests/tools/*.c)
TOOL_BINS   := $(patsubst tests/tools/%.c,$(BUILD)/tests/%,$(TOOL_SRC))

.PHONY: all lib deps run test unit bench fuzz fuzz-build chaos clean format-check
.DEFAULT_GOAL := all
.SECONDARY:

all: $(SERVICE_BINS) $(BIN)/peakdesk $(UNIT_BINS) $(TOOL_BINS)
lib: $(LIBPD) $(SERVICE_LIBS)

# Every object needs the generated headers first.
$(GEN)/%.pb-c.c $(GEN)/%.pb-c.h: proto/%.proto $(PROTOS)
	@mkdir -p $(GEN)
	protoc-c --c_out=$(GEN) -Iproto $<

$(OBJ)/gen/%.o: $(GEN)/%.c | $(GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(GENFLAGS) -Wno-error -c $< -o $@

$(OBJ)/%.o: %.c | $(GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(LIBPD): $(COMMON_O) $(GEN_O)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

define service_lib_rules
$(LIBDIR)/libpd_$(1).a: $(patsubst %.c,$(OBJ)/%.o,$(filter-out services/$(1)/main.c,$(wildcard services/$(1)/*.c)))
	@mkdir -p $$(dir $$@)
	rm -f $$@ && ar rcs $$@ $$^
endef
define service_bin_rules
$(BIN)/peakdesk-$(1): $(OBJ)/services/$(1)/main.o $(LIBDIR)/libpd_$(1).a $(LIBPD)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS)
endef
$(foreach s,$(SERVICES),$(eval $(call service_lib_rules,$(s))))
$(foreach s,$(SERVICE_MAINS),$(eval $(call service_bin_rules,$(s))))

$(BIN)/peakdesk: $(OBJ)/services/cli/main.o $(SERVICE_LIBS) $(LIBPD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(OBJ)/services/cli/main.o $(SERVICE_LIBS) $(LIBPD) $(LDLIBS)

$(BUILD)/tests/%_test: $(OBJ)/tests/unit/%_test.o $(SERVICE_LIBS) $(LIBPD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(shell pkg-config --libs check)

$(BUILD)/tests/%: $(OBJ)/tests/tools/%.o $(SERVICE_LIBS) $(LIBPD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# ---- the README's commands -------------------------------------------------
deps:
	@deploy/install-deps.sh

run: deps
	@$(MAKE) --no-print-directory all
	@deploy/local/run.sh

test: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory SAN=1 all
	@tests/run-all.sh

unit: all
	@tests/run-unit.sh $(BUILD)/tests

bench: deps
	@$(MAKE) --no-print-directory all
	@tests/bench/run.sh

chaos: deps
	@$(MAKE) --no-print-directory all
	@tests/chaos/run.sh

FUZZERS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/*_fuzz.c))
fuzz-build:
	@$(MAKE) --no-print-directory FUZZ=1 lib
	@mkdir -p build/fuzz/bin
	@for f in $(FUZZERS); do \
	  clang -fsanitize=fuzzer,address,undefined -g -O1 -std=c11 -D_GNU_SOURCE -Ibuild/fuzz/gen -Icommon \
	    -I$(shell pg_config --includedir) $(shell pkg-config --cflags json-c gmime-3.0 libxml-2.0) \
	    tests/fuzz/$$f.c build/fuzz/lib/libpd_*.a build/fuzz/lib/libpeakdesk.a -o build/fuzz/bin/$$f $(LDLIBS) || exit 1; \
	done

# FUZZ_SECONDS per harness; make test runs each for a few seconds.
FUZZ_SECONDS ?= 60
fuzz: deps fuzz-build
	@tests/fuzz/run.sh $(FUZZ_SECONDS)

clean:
	rm -rf build var

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
