"""The leader's reverse-edge index (leader/parents.py): one parent or several, in order."""
from toil_core.leader.parents import ParentIndex


def test_single_parent_is_returned_as_a_one_tuple() -> None:
    index = ParentIndex()
    index.add("child", "parent")
    assert index.get("child") == ("parent",) and "child" in index and len(index) == 1


def test_several_parents_keep_their_order_and_pop_removes_them() -> None:
    index = ParentIndex()
    for parent in ("a", "b", "c"):
        index.add("child", parent)
    assert index.pop("child") == ("a", "b", "c")
    assert "child" not in index and index.pop("child") == () and index.get("child") == ()
