#include "interrupt.h"

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    stop = 1;
    signal(sig, SIG_DFL); /* a second signal ends the process at once */
}

void zcb_interrupt_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

bool zcb_interrupted(void) { return stop != 0; }
