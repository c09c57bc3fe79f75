"""Departments (责任单位) and the categories of cases each one handles."""
