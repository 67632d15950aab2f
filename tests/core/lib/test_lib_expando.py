"""Tests for toil_core.lib.expando."""
import copy
import json
import pickle

import pytest

from toil_core.lib.expando import Expando, MagicExpando


def test_constructor_attributes():
    assert Expando(foo=42).foo == 42


def test_set_attribute_becomes_key():
    o = Expando()
    o.bar = "hi"
    assert o["bar"] == "hi"


def test_is_a_dict():
    assert isinstance(Expando(), dict)


def test_json_object_hook():
    o = json.loads('{"foo": {"bar": 1}}', object_hook=Expando)
    assert o.foo.bar == 1


def test_json_round_trip():
    o = Expando(foo=42)
    o.bar = "hi"
    assert json.dumps(o, sort_keys=True) == '{"bar": "hi", "foo": 42}'


def test_missing_attribute_raises_attribute_error():
    with pytest.raises(AttributeError, match="'Expando' object has no attribute 'foo'"):
        _ = Expando().foo


def test_delete_attribute_removes_key():
    o = Expando(foo=42)
    del o.foo
    assert "foo" not in o


def test_delete_missing_attribute_raises():
    with pytest.raises(AttributeError):
        del Expando().foo


def test_copy_keeps_class():
    o = Expando(foo=42)
    p = o.copy()
    assert isinstance(p, Expando) and p == o and p is not o


def test_magic_expando_creates_children():
    o = MagicExpando()
    o.bar.hello = "hi"
    assert o == {"bar": {"hello": "hi"}}


def test_magic_expando_child_is_magic():
    assert isinstance(MagicExpando().foo, MagicExpando)


def test_magic_expando_copy_is_shallow():
    o = MagicExpando()
    o.foo.bar = 42
    p = o.copy()
    assert isinstance(p, MagicExpando) and p.foo is o.foo


def test_magic_expando_pickles():
    o = MagicExpando()
    o.a.b = 1
    assert pickle.loads(pickle.dumps(o)) == {"a": {"b": 1}}


def test_magic_expando_deepcopy():
    o = MagicExpando(x=[1])
    assert copy.deepcopy(o) == {"x": [1]}
