"""The ``certificate`` check kind, and certificate fields as computed answers."""

from __future__ import annotations

from cryptography import x509

from labtui.checks.base import CheckContext, Outcome, ValueUnavailable, register
from labtui.pki import inspect
from labtui.pki.files import LabFiles
from labtui.pki.lab import lab_files, pki_dir
from labtui.scenario.model import CertificateCheck, ValueSource


def _files(ctx: CheckContext) -> LabFiles:
    return lab_files(ctx.scenario, ctx.lab_dir, ctx.docker, ctx.templates.render)


def certificate_value(source: ValueSource, ctx: CheckContext) -> str:
    """``{certificate: PATH, field: F}`` of a ValueSource, read from the lab's files."""
    assert source.certificate is not None and source.field is not None
    path = ctx.templates.render(source.certificate)
    try:
        return inspect.field_value(_files(ctx), path, source.field, pki_dir(ctx.scenario))
    except inspect.CertError as exc:
        raise ValueUnavailable(str(exc)) from None


def _missing(want: dict[str, str], name_of: str, have: x509.Name) -> str | None:
    for attr, value in want.items():
        values = inspect.name_values(have, attr)
        if value not in values:
            shown = ", ".join(values) if values else "none"
            return f"{name_of} {attr} is {shown}, expected {value}"
    return None


@register("certificate")
def certificate_check(check: CertificateCheck, ctx: CheckContext) -> Outcome:
    render = ctx.templates.render
    files = _files(ctx)
    path = render(check.path)
    try:
        loaded = inspect.load(files, path, check.part)
        return _judge(check, ctx, files, loaded)
    except inspect.CertError as exc:
        return Outcome(False, str(exc), "a readable certificate", "unreadable")


def _judge(
    check: CertificateCheck, ctx: CheckContext, files: LabFiles, loaded: inspect.Loaded
) -> Outcome:
    render = ctx.templates.render
    cert, path = loaded.cert, loaded.path
    subject = inspect.openssl_name(cert.subject)
    for what, want, name in (
        ("subject", check.subject, cert.subject),
        ("issuer", check.issuer, cert.issuer),
    ):
        rendered = {k: render(v) for k, v in want.items()}
        problem = _missing(rendered, f"{path} {what}", name)
        if problem:
            shown = ", ".join(f"{k} = {v}" for k, v in rendered.items())
            return Outcome(False, problem, shown, inspect.openssl_name(name))
    if check.san_contains:
        dns, ips = inspect.sans(cert)
        have = dns + ips
        for san in (render(s) for s in check.san_contains):
            if san not in have:
                return Outcome(
                    False, f"{path} has no SAN {san}", f"SAN {san}", ", ".join(have) or "no SANs"
                )
    for label, want_list, have_list in (
        ("key usage", check.key_usage, inspect.key_usages(cert)),
        ("extended key usage", check.extended_key_usage, inspect.ext_key_usages(cert)),
    ):
        lacking = [u for u in want_list if u not in have_list]
        if lacking:
            return Outcome(
                False,
                f"{path} {label} lacks {', '.join(lacking)}",
                ", ".join(want_list),
                ", ".join(have_list) or "none",
            )
    if check.is_ca is not None and inspect.is_ca(cert) != check.is_ca:
        return Outcome(
            False,
            f"{path} is {'' if inspect.is_ca(cert) else 'not '}a CA",
            f"CA:{str(check.is_ca).upper()}",
            f"CA:{str(inspect.is_ca(cert)).upper()}",
        )
    window = f"{cert.not_valid_before_utc:%Y-%m-%d %H:%M} to {cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC"
    if check.valid is not None and inspect.is_expired(cert) == check.valid:
        state = "expired or not yet valid" if check.valid else "still valid"
        return Outcome(
            False,
            f"{path} is {state} (valid {window})",
            "valid now" if check.valid else "expired",
            window,
        )
    left = inspect.days_left(cert)
    if check.valid_for_days is not None and (
        inspect.is_expired(cert) or left < check.valid_for_days
    ):
        return Outcome(
            False,
            f"{path} is valid for {max(left, 0)} more days, fewer than {check.valid_for_days}",
            f">= {check.valid_for_days} days",
            window,
        )
    if check.expires_within_days is not None and left > check.expires_within_days:
        return Outcome(
            False,
            f"{path} expires in {left} days, not within {check.expires_within_days}",
            f"<= {check.expires_within_days} days",
            window,
        )
    if check.signed_by is not None:
        ca_path = render(check.signed_by)
        ca = inspect.load(files, ca_path, "ca" if ca_path.endswith(".conf") else "client").cert
        why = inspect.signed_by(cert, ca)
        if why is not None:
            return Outcome(
                False,
                f"{path} is not signed by {ca_path}: {why}",
                f"signed by {ca_path}",
                f"issuer {inspect.openssl_name(cert.issuer)}",
            )
    if check.key_matches is not None:
        key_path = render(check.key_matches)
        if key_path == path:
            if loaded.key is None:
                return Outcome(False, f"{path} carries no private key", "a client key", "none")
            key = loaded.key
        else:
            key = inspect.read(files, key_path)
        why = inspect.key_matches(cert, key, key_path)
        if why is not None:
            return Outcome(
                False,
                f"{key_path} does not belong to {path}: {why}",
                f"the key of {path}",
                "another key",
            )
    return Outcome(True, f"{path}: {subject}, valid {window}", actual=subject)
