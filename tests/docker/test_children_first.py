"""Lab images are removed children first: Docker refuses to remove an image that
others were built FROM, even with force."""

from __future__ import annotations

from labtui.drivers.docker import children_first


def test_an_image_comes_before_the_images_it_was_built_from() -> None:
    # Built in the same second (same Created), listed parents first: the order Docker
    # may well give, and the one that failed.
    items = [
        {"Id": "sha256:runtime", "ParentId": "", "Created": 100},
        {"Id": "sha256:step", "ParentId": "sha256:runtime", "Created": 100},
        {"Id": "sha256:shop", "ParentId": "sha256:step", "Created": 100},
        {"Id": "sha256:other", "ParentId": "sha256:unlisted", "Created": 50},
    ]
    order = [i["Id"] for i in children_first(items)]
    assert order.index("sha256:shop") < order.index("sha256:step") < order.index("sha256:runtime")
    assert set(order) == {i["Id"] for i in items}


def test_a_parent_loop_does_not_hang() -> None:
    items = [
        {"Id": "a", "ParentId": "b", "Created": 1},
        {"Id": "b", "ParentId": "a", "Created": 2},
    ]
    assert {i["Id"] for i in children_first(items)} == {"a", "b"}
