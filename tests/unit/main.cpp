// The one translation unit that brings CAF's test runner (and its main) into the unit tests.
#include "caf/all.hpp"
#include "caf/test/unit_test_impl.hpp"
