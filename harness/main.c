/* The usbsim program: everything is in cli.c. */
#include "harness/cli.h"

int main(int argc, char **argv)
{
    return cli_main(argc, argv);
}
