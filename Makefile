# make            builds every stage into bin/ (release: -O2)
# make test       installs missing Debian packages, builds, runs every test
# make sanitize   the same tests on an ASan + UBSan build (build/san/)
# make demo       the main job on data the project generates (see README)
# make check-darknet  the network core against Debian's libdarknet (package
#                 darknet), and with ALEXEYAB=DIR against AlexeyAB's (its source
#                 tree, built); rewrites tests/fixtures/
# make fuzz       libFuzzer harnesses (tests/fuzz/) built with clang in build/fuzz/,
#                 each run FUZZ_SECONDS seconds (default 60); ends with
#                 "N passed, N failed, N skipped"
# make clean

SAN ?= 0
ifeq ($(SAN),1)
  MODE := san
  BIN := build/san/bin
  OPT := -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else
  MODE := release
  BIN := bin
  OPT := -O2
endif
# MPI=0: without Open MPI even when libopenmpi-dev is installed (into
# build/MODE-nompi/): darknet-forward then refuses to run under mpirun
MPI ?= 1
ifeq ($(MPI),0)
  MODE := $(MODE)-nompi
  BIN := build/$(MODE)/bin
endif
BUILD := build/$(MODE)

CC ?= gcc
PKGS := msgpack yajl libxml-2.0 libturbojpeg libjpeg libpng libavformat libavcodec libswscale libavutil libavdevice
# OpenBLAS's OpenMP build, found by its own .pc file (scripts/deps.sh says why)
BLAS_LIBDIR := /usr/lib/$(shell $(CC) -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)/openblas-openmp
BLAS_PC := PKG_CONFIG_LIBDIR=$(BLAS_LIBDIR)/pkgconfig pkg-config
CFLAGS_BASE := -std=c11 -g $(OPT) -ffp-contract=off -Wall -Wextra -Iinclude -D_POSIX_C_SOURCE=200809L \
               -fopenmp -MMD -MP
LDFLAGS_BASE := $(OPT) -fopenmp -Wl,--as-needed

LIB_SRC := $(sort $(wildcard common/*/*.c common/*/*/*.c))
STAGE_SRC := $(sort $(wildcard stages/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
TOOL_SRC := $(sort $(wildcard tests/tools/*.c))

LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB := $(BUILD)/libyolo.a
STAGES := $(STAGE_SRC:stages/%.c=$(BIN)/%)
UNITS := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOLS := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tools/%)

.PHONY: all test sanitize check check-darknet check-alexeyab deps clean demo
.SECONDARY:
all: $(STAGES)

# Flags from pkg-config, written once the packages are known to be there:
# making this file runs scripts/deps.sh, which installs what is missing (as
# root) or prints the apt-get command and stops.
ifeq ($(filter clean,$(MAKECMDGOALS)),)
include $(BUILD)/config.mk
endif
$(BUILD)/config.mk: scripts/deps.sh
	@MPI=$(MPI) sh scripts/deps.sh build
	@mkdir -p $(@D)
	@{ echo "PKG_CFLAGS := $$(pkg-config --cflags $(PKGS)) $$($(BLAS_PC) --cflags openblas)"; \
	   echo "PKG_LIBS := $$(pkg-config --libs $(PKGS)) $$($(BLAS_PC) --libs openblas)" \
	        "-Wl,-rpath,$(BLAS_LIBDIR)"; \
	   if [ "$(MPI)" != 0 ] && pkg-config --exists ompi-c; then \
	     echo "PKG_CFLAGS += -DDIST_MPI $$(pkg-config --cflags ompi-c)"; \
	     echo "PKG_LIBS += $$(pkg-config --libs ompi-c)"; \
	   else echo "# built without MPI (no libopenmpi-dev, or MPI=0)"; fi; } > $@.tmp && mv $@.tmp $@

CFLAGS_ALL = $(CFLAGS_BASE) $(PKG_CFLAGS) $(CFLAGS)
LDLIBS_ALL = $(PKG_LIBS) -lm $(LDLIBS)

$(BUILD)/%.o: %.c $(BUILD)/config.mk
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN)/%: $(BUILD)/stages/%.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_BASE) $(LDFLAGS) $< $(LIB) $(LDLIBS_ALL) -o $@

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_BASE) $(LDFLAGS) $< $(LIB) $(LDLIBS_ALL) -o $@

$(BUILD)/tools/%: $(BUILD)/tests/tools/%.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_BASE) $(LDFLAGS) $< $(LIB) $(LDLIBS_ALL) -o $@

deps:
	@MPI=$(MPI) sh scripts/deps.sh test

test: deps $(STAGES) $(UNITS) $(TOOLS)
	@BIN=$(BIN) BUILD=$(BUILD) MODE=$(MODE) sh tests/run.sh

check: test

sanitize:
	@$(MAKE) --no-print-directory SAN=1 test

demo: deps $(STAGES)
	@BIN=$(BIN) bash pipelines/demo.sh

# make check-darknet   compares the network core with Debian's libdarknet
#                      (needs the darknet package) and rewrites tests/fixtures/
DARKNET_DIR ?= /usr/lib/darknet
DN_OBJ := $(BUILD)/darknet/darknet-harness.o $(BUILD)/darknet/dn-side.o

$(BUILD)/darknet/dn-side.o: tests/darknet/dn-side.c $(BUILD)/config.mk
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -I$(DARKNET_DIR)/include -c $< -o $@

$(BUILD)/darknet/darknet-harness.o: tests/darknet/darknet-harness.c $(BUILD)/config.mk
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(BUILD)/darknet/darknet-harness: $(DN_OBJ) $(LIB)
	$(CC) $(LDFLAGS_BASE) $(LDFLAGS) $(DN_OBJ) $(LIB) -L$(DARKNET_DIR) -ldarknet \
	    -Wl,-rpath,$(DARKNET_DIR) $(LDLIBS_ALL) -o $@

check-darknet: $(BUILD)/darknet/darknet-harness $(STAGES) $(BUILD)/tools/img-dump
	@HARNESS=$< sh tests/darknet/make-fixtures.sh
	@HARNESS=$< BIN=$(BIN) sh tests/darknet/make-boxes.sh
	@HARNESS=$< BIN=$(BIN) BUILD=$(BUILD) sh tests/darknet/check-png.sh
	@if [ -n "$(ALEXEYAB)" ] && [ -f "$(ALEXEYAB)/libdarknet.so" ]; then \
	    $(MAKE) --no-print-directory check-alexeyab; \
	else \
	    echo "check-darknet: AlexeyAB's darknet SKIPPED: give ALEXEYAB=DIR, its source tree" \
	         "built with make OPENMP=1 AVX=1 LIBSO=1 (tests/darknet/README.md)"; \
	fi

# The same for AlexeyAB's darknet (github.com/AlexeyAB/darknet), whose
# libdarknet.so is built in ALEXEYAB; ALEXEYAB_COMMIT names its commit in
# the fixtures. make-fixtures-ab.sh rewrites the ab-* fixtures.
ALEXEYAB ?=
ALEXEYAB_COMMIT ?= unknown
AB_OBJ := $(BUILD)/darknet/darknet-harness.o $(BUILD)/darknet/ab-side.o

$(BUILD)/darknet/ab-side.o: tests/darknet/ab-side.c $(BUILD)/config.mk
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -I$(ALEXEYAB)/include -DAB_COMMIT='"$(ALEXEYAB_COMMIT)"' -c $< -o $@

$(BUILD)/darknet/ab-harness: $(AB_OBJ) $(LIB)
	$(CC) $(LDFLAGS_BASE) $(LDFLAGS) $(AB_OBJ) $(LIB) -L$(ALEXEYAB) -ldarknet \
	    -Wl,-rpath,$(abspath $(ALEXEYAB)) $(LDLIBS_ALL) -o $@

check-alexeyab: $(BUILD)/darknet/ab-harness $(STAGES)
	@HARNESS=$< BIN=$(BIN) ALEXEYAB=$(ALEXEYAB) sh tests/darknet/make-fixtures-ab.sh

# make fuzz: the library, the harnesses tests/fuzz/fuzz_*.c and the seed
# tools built with clang (ASan + UBSan + libFuzzer's coverage) in build/fuzz/;
# tests/fuzz/run.sh checks for clang first, builds with `make fuzz-build`,
# makes the seeds and runs each harness in turn (tests/fuzz/README.md).
# Nothing else depends on clang.
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ := build/fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS = -std=c11 -g -O1 $(FUZZ_SAN) -fsanitize=fuzzer-no-link -ffp-contract=off \
              -Wall -Wextra -Iinclude \
              -D_POSIX_C_SOURCE=200809L -fopenmp -Wno-pass-failed -MMD -MP $(PKG_CFLAGS)
FUZZ_LDFLAGS := -g -O1 $(FUZZ_SAN) -fopenmp
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ)/obj/%.o)
FUZZ_LIB := $(FUZZ)/libyolo.a
FUZZ_BINS := $(FUZZ_SRC:tests/fuzz/%.c=$(FUZZ)/%)
FUZZ_TOOLS := $(FUZZ)/tools/seedgen $(FUZZ)/tools/gen-records $(FUZZ)/tools/gen-coco \
              $(addprefix $(FUZZ)/bin/,synth-voc records-to-json darknet-forward rescale nms)

.PHONY: fuzz fuzz-build
fuzz:
	+@FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_CC=$(FUZZ_CC) FUZZ_DIR=$(FUZZ) MAKE="$(MAKE)" \
	    sh tests/fuzz/run.sh $(FUZZ_SRC:tests/fuzz/%.c=%)

fuzz-build: $(FUZZ_BINS) $(FUZZ_TOOLS)

$(FUZZ)/obj/%.o: %.c $(BUILD)/config.mk
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(CFLAGS) -c $< -o $@

$(FUZZ_LIB): $(FUZZ_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ)/fuzz_%: $(FUZZ)/obj/tests/fuzz/fuzz_%.o $(FUZZ_LIB)
	$(FUZZ_CC) $(FUZZ_LDFLAGS) -fsanitize=fuzzer $< $(FUZZ_LIB) $(LDLIBS_ALL) -o $@

$(FUZZ)/tools/seedgen: $(FUZZ)/obj/tests/fuzz/seedgen.o $(FUZZ_LIB)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_LDFLAGS) $< $(FUZZ_LIB) $(LDLIBS_ALL) -o $@

$(FUZZ)/tools/%: $(FUZZ)/obj/tests/tools/%.o $(FUZZ_LIB)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_LDFLAGS) $< $(FUZZ_LIB) $(LDLIBS_ALL) -o $@

$(FUZZ)/bin/%: $(FUZZ)/obj/stages/%.o $(FUZZ_LIB)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_LDFLAGS) $< $(FUZZ_LIB) $(LDLIBS_ALL) -o $@

clean:
	rm -rf build bin

-include $(LIB_OBJ:.o=.d) $(STAGE_SRC:%.c=$(BUILD)/%.d) $(UNIT_SRC:%.c=$(BUILD)/%.d) \
         $(TOOL_SRC:%.c=$(BUILD)/%.d)
-include $(wildcard $(FUZZ)/obj/*/*.d $(FUZZ)/obj/*/*/*.d $(FUZZ)/obj/*/*/*/*.d)
-include $(wildcard $(BUILD)/darknet/*.d)
