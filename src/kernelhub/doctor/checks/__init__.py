"""The doctor's checks, one module a subject: :mod:`.specs` (kernelspecs), :mod:`.python`
(what ``python`` in a spec's argv means), :mod:`.envs` (environments) and :mod:`.runtime` (the
runtime directory). Each check takes a :class:`~kernelhub.doctor.model.Context` and returns
findings; none changes anything.
"""
