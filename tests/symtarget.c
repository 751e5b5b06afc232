/* A non-PIE program with a known function, for test_stkfile's
 * symbolization checks (built with -no-pie -g; never run by the suite). */
__attribute__((noinline)) int symtarget_leaf(int x)
{
	return x * 7 + 3;
}

int main(int argc, char **argv)
{
	(void)argv;
	return symtarget_leaf(argc) & 1;
}
