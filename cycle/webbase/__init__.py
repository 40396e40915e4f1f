"""What the coordinator's web application and the Träger portal share: security headers and
CSRF, bounded request bodies, parameters, downloads, the last-resort error handler, the page
plumbing (``pages.py``), the shared templates (``templates/macros.html``) and the stylesheet."""
