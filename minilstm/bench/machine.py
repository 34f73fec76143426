"""The machine the numbers were measured on: the CPU, the BLAS and its kernel, the
settings that change either, the load. The header of the report is made of these."""

import os
import platform
from collections.abc import Sequence

import numpy as np

# Settings that override OpenBLAS's own choice of kernel and cache size; some machines
# set them. When they are set, a second minilstm side runs without them, so that one run
# measures both ways (docs/performance.md).
OPENBLAS_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def cpu_name(cpuinfo: str = "/proc/cpuinfo") -> str:
    """The processor's model name, as ``lscpu`` prints it, with its family and model
    numbers, which tell CPU generations apart where virtual machines show only a
    generic name such as "AMD EPYC" (Linux); else the platform's name."""
    fields: dict[str, str] = {}
    try:
        with open(cpuinfo) as lines:
            for line in lines:
                if not line.strip():
                    break  # the first processor's block is enough
                key, _, value = line.partition(":")
                fields[key.strip()] = value.strip()
    except OSError:
        pass
    if "model name" not in fields:
        return platform.processor() or "unknown"
    if "cpu family" in fields and "model" in fields:
        family = f"family {fields['cpu family']}, model {fields['model']}"
        return f"{fields['model name']} ({family})"
    return fields["model name"]


def load_average() -> str:
    """The load average over 1, 5 and 15 minutes, or "unknown" where the OS has none."""
    if not hasattr(os, "getloadavg"):
        return "unknown"
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


# The variables that make PyTorch (ATen) and oneDNN, under PyTorch's and TensorFlow's
# LSTMs, use less than the CPU offers; NumPy's (NPY_DISABLE_CPU_FEATURES) is shown with
# its SIMD extensions.
ISA_LIMITS = ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA")


def set_variables(names: Sequence[str]) -> list[str]:
    """Each of ``names`` that the environment sets, as NAME=value, in that order."""
    return [f"{name}={os.environ[name]}" for name in names if name in os.environ]


def blas_lines() -> list[str]:
    """The BLAS that NumPy calls, its kernel and threads, and the OpenBLAS overrides."""
    try:
        from threadpoolctl import threadpool_info

        lines = [
            f"- BLAS: {pool['internal_api']} {pool['version']}, kernel "
            f"{pool.get('architecture')}, threads: {pool['num_threads']}"
            for pool in threadpool_info()
            if pool["user_api"] == "blas"
        ]
    except ImportError:
        lines = ["- BLAS: unknown (install threadpoolctl to see which kernel runs)"]
    overrides = set_variables(OPENBLAS_OVERRIDES)
    lines.append(
        "- OpenBLAS overrides: " + (", ".join(overrides) or "none (its own choice)")
    )
    return lines


def environment() -> list[str]:
    """What the numbers depend on: versions, the BLAS and its kernel, the load."""
    load = ", load average " + load_average() if hasattr(os, "getloadavg") else ""
    simd = np.show_config(mode="dicts")["SIMD Extensions"]
    disabled = os.environ.get("NPY_DISABLE_CPU_FEATURES")
    lines = [
        f"- CPU: {cpu_name()}, {os.cpu_count()} cores ({platform.machine()}){load}",
        f"- Python {platform.python_version()}, NumPy {np.__version__}, NumPy's SIMD "
        f"extensions: {' '.join(simd['baseline'] + simd['found'])}"
        + (f" (NPY_DISABLE_CPU_FEATURES={disabled})" if disabled else ""),
    ]
    lines += blas_lines()
    # Set to run PyTorch's and oneDNN's code for an older CPU, e.g. AVX2 on an AVX-512
    # machine (docs/performance.md); shown only when set.
    limits = set_variables(ISA_LIMITS)
    if limits:
        lines.append("- instruction-set limits: " + ", ".join(limits))
    return lines
