"""Tests of chainrule.rbm."""
