"""Workarounds for running the pinned transformers on Debian's torch 1.13 under Python 3.11.

torch 1.13 predates Python 3.11: importing torch.distributed.fsdp fails there with
"ValueError: mutable default ... for field tensor_properties" (a dataclass rule Python 3.11
tightened). transformers' generate() imports it only to ask whether the model is wrapped in FSDP,
which a reference model never is, so that question is answered directly. Nothing numerical changes.
"""


def apply():
    try:
        import torch.distributed.fsdp  # noqa: F401
        return
    except ValueError:
        pass
    import transformers.generation.utils as generation_utils
    import transformers.integrations.fsdp as fsdp

    def is_fsdp_managed_module(module):
        return False

    fsdp.is_fsdp_managed_module = is_fsdp_managed_module
    generation_utils.is_fsdp_managed_module = is_fsdp_managed_module
