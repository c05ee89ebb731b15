"""StopFlag: a signal only sets a flag; a flag installed over a raised one starts raised."""

from __future__ import annotations

import os
import signal

from flamkit.train.signals import StopFlag


def test_signal_sets_flag_and_uninstall_restores():
    before = signal.getsignal(signal.SIGUSR2)
    flag = StopFlag().install()
    assert not flag.raised
    os.kill(os.getpid(), signal.SIGUSR2)
    assert flag.raised and flag.signum == signal.SIGUSR2
    flag.uninstall()
    assert signal.getsignal(signal.SIGUSR2) == before


def test_inner_flag_inherits_a_raised_outer_flag():
    outer = StopFlag().install()
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        inner = StopFlag().install()
        assert inner.raised and inner.signum == signal.SIGTERM
        inner.uninstall()
    finally:
        outer.uninstall()


def test_inner_flag_starts_clear_under_a_quiet_outer_flag():
    outer = StopFlag().install()
    try:
        inner = StopFlag().install()
        assert not inner.raised
        os.kill(os.getpid(), signal.SIGUSR2)
        assert inner.raised and not outer.raised  # the innermost handler is the one in force
        inner.uninstall()
        os.kill(os.getpid(), signal.SIGUSR2)
        assert outer.raised
    finally:
        outer.uninstall()
