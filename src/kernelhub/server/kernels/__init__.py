"""The running kernels as the server serves them: the hub over the library's registry, the
served-kernel records, kernel-type names and which types are listed, the root directory,
attachments (who else watches a kernel) and the sessions the REST API keeps."""
