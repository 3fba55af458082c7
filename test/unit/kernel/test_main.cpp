// CppUTest entry point shared by the kernel unit-test executables (one copy linked into each).
#include "CppUTest/CommandLineTestRunner.h"

int main(int argc, char** argv) { return CommandLineTestRunner::RunAllTests(argc, argv); }
