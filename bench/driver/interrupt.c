#include "interrupt.h"

#include <signal.h>
#include <string.h>

#include "owned_file.h"

static volatile sig_atomic_t stop;
static void (*volatile remove_on_kill)(void);

static void on_signal(int sig)
{
    if (!stop) {
        stop = 1;
        return;
    }
    /* The second signal ends the process at once, without leaving an image
     * file behind. */
    zcb_owned_remove_all();
    void (*remove)(void) = remove_on_kill;
    if (remove)
        remove();
    signal(sig, SIG_DFL);
    raise(sig);
}

void zcb_interrupt_install(void)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGTERM);
    sigaddset(&sa.sa_mask, SIGHUP);
    /* Started in the background by a script (run_all.sh), SIGINT is ignored:
     * the terminal's Ctrl-C goes to the script, which passes it on as SIGTERM,
     * and catching it here as well would count one Ctrl-C twice. Under nohup
     * SIGHUP is ignored, and stays so. */
    if (sigaction(SIGINT, NULL, &old) == 0 && old.sa_handler != SIG_IGN)
        sigaction(SIGINT, &sa, NULL);
    if (sigaction(SIGHUP, NULL, &old) == 0 && old.sa_handler != SIG_IGN)
        sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

bool zcb_interrupted(void) { return stop != 0; }

void zcb_interrupt_on_kill(void (*remove)(void)) { remove_on_kill = remove; }
