"""Narrative XHTML: the FHIR element whitelist, no scripts, no handlers, no external entities."""

from __future__ import annotations

import pytest

from fhir_server.model.narrative import UnsafeNarrative, check_xhtml

NS = 'xmlns="http://www.w3.org/1999/xhtml"'


@pytest.mark.parametrize(
    "div",
    [
        f"<div {NS}>Paciente: <b>José</b></div>",
        f'<div {NS}><table class="x"><tr><td colspan="2">1</td></tr></table></div>',
        f'<div {NS} xml:lang="es"><a href="https://example.org">link</a><img src="#x" alt="y"/></div>',
    ],
)
def test_safe(div):
    check_xhtml(div)


@pytest.mark.parametrize(
    "div",
    [
        f"<div {NS}><script>alert(1)</script></div>",
        f'<div {NS}><p onclick="x()">a</p></div>',
        f'<div {NS}><a href="javascript:alert(1)">a</a></div>',
        f'<div {NS}><a href=" JaVaScRiPt:alert(1)">a</a></div>',
        f'<div {NS}><p style="width: expression(alert(1))">a</p></div>',
        f"<div {NS}><iframe>a</iframe></div>",
        f"<div {NS}><form>a</form></div>",
        "<div>no namespace</div>",
        f"<p {NS}>not a div</p>",
        f"<div {NS}>   </div>",
        f"<div {NS}><p>unclosed</div>",
        '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><div xmlns="http://www.w3.org/1999/xhtml">&e;</div>',
        f'<div {NS} xmlns:svg="http://www.w3.org/2000/svg"><svg:svg onload="x()"/></div>',
    ],
)
def test_unsafe(div):
    with pytest.raises(UnsafeNarrative):
        check_xhtml(div)
