"""torchaudio as an independent reference for the log-mel front end (its only use in flamkit)."""

import numpy as np
import pytest
import torch

from flamkit.models.audio.frontend import LogMelFrontend, slaney_mel_filterbank

torchaudio = pytest.importorskip("torchaudio", reason="torchaudio is the optional `torchaudio` extra")


@pytest.mark.parametrize("sr,n_fft,n_mels,fmin,fmax", [(48000, 1024, 64, 50.0, 14000.0), (16000, 512, 64, 50.0, 8000.0)])
def test_filterbank_equals_torchaudio_slaney(sr, n_fft, n_mels, fmin, fmax):
    ours = slaney_mel_filterbank(sr, n_fft, n_mels, fmin, fmax)
    ref = torchaudio.functional.melscale_fbanks(n_fft // 2 + 1, fmin, fmax, n_mels, sr, norm="slaney", mel_scale="slaney")
    np.testing.assert_allclose(ours, ref.numpy().T, rtol=1e-5, atol=1e-7)


def test_log_mel_equals_torchaudio_pipeline():
    """LAION-CLAP's front end (48 kHz, n_fft 1024, hop 480, 64 mel, 50-14000 Hz, 10 log10 power)."""
    torch.manual_seed(0)
    audio = torch.randn(2, 48000) * 0.1
    ours = LogMelFrontend(sample_rate=48000, n_fft=1024, hop_length=480, n_mels=64, fmin=50.0, fmax=14000.0)(audio)
    mel = torchaudio.transforms.MelSpectrogram(
        sample_rate=48000, n_fft=1024, win_length=1024, hop_length=480, f_min=50.0, f_max=14000.0, n_mels=64,
        power=2.0, center=True, pad_mode="reflect", norm="slaney", mel_scale="slaney",
    )(audio)
    ref = 10.0 * torch.log10(mel.clamp_min(1e-10))
    ref = ref.transpose(-1, -2) if ref.shape[-1] != ours.shape[-1] else ref
    assert ours.shape == ref.shape, (ours.shape, ref.shape)
    torch.testing.assert_close(ours, ref, atol=2e-3, rtol=0)
