from __future__ import annotations

from django.urls import reverse

from projects.models import Project


def test_empty_home_explains_what_to_do_next(client, alice):
    client.force_login(alice)

    html = client.get(reverse("projects:home")).content.decode()

    assert "Start your first project" in html
    assert ">New project</a>" in html


def test_creating_a_project_opens_it(client, alice):
    client.force_login(alice)

    response = client.post(reverse("projects:new"), {"name": "Spring campaign"}, follow=True)

    project = Project.objects.get()
    assert project.owner == alice
    assert response.redirect_chain[-1][0] == project.get_absolute_url()
    assert "Spring campaign" in response.content.decode()


def test_a_blank_project_name_is_refused_next_to_the_field(client, alice):
    client.force_login(alice)

    response = client.post(reverse("projects:new"), {"name": "   "}, headers={"HX-Request": "true"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html  # only the form partial comes back to htmx
    assert 'id="project-form"' in html
    assert "This field is required." in html or "Give the project a name." in html
    assert not Project.objects.exists()


def test_htmx_creation_redirects_the_whole_page(client, alice):
    client.force_login(alice)

    response = client.post(
        reverse("projects:new"), {"name": "Teaser"}, headers={"HX-Request": "true"}
    )

    assert response["HX-Redirect"] == Project.objects.get().get_absolute_url()


def test_home_lists_only_my_projects(client, alice, charlie):
    Project.objects.create(owner=alice, name="Alice's film")
    Project.objects.create(owner=charlie, name="Charlie's ad")
    client.force_login(alice)

    html = client.get(reverse("projects:home")).content.decode()

    assert "Alice&#x27;s film" in html
    assert "Charlie" not in html


def test_charlie_gets_404_on_alices_project(client, alice, charlie):
    project = Project.objects.create(owner=alice, name="Secret")
    client.force_login(charlie)

    response = client.get(project.get_absolute_url())

    assert response.status_code == 404
    assert "Secret" not in response.content.decode()


def test_not_found_page_is_in_the_studio_style(client, alice):
    client.force_login(alice)

    response = client.get("/no/such/page/")

    assert response.status_code == 404
    assert "Nothing here" in response.content.decode()
    assert "studio.css" in response.content.decode()
