from __future__ import annotations

from django.urls import path

from storyboards.views import export, shots, storyboards

app_name = "storyboards"
boards = "projects/<int:project_id>/storyboards/"
board = boards + "<int:storyboard_id>/"
shot = "projects/<int:project_id>/shots/<int:shot_id>/"
take = "projects/<int:project_id>/takes/<int:take_id>/"
urlpatterns = [
    path(boards + "new/", storyboards.new_storyboard, name="new"),
    path(board, storyboards.detail, name="detail"),
    path(board + "edit/", storyboards.edit, name="edit"),
    path(board + "delete/", storyboards.delete, name="delete"),
    path(board + "reorder/", storyboards.reorder, name="reorder"),
    path(board + "generate-all/", storyboards.generate_all, name="generate_all"),
    path(board + "live/", storyboards.live, name="live"),
    path(board + "export.zip", export.download_zip, name="export_zip"),
    path(board + "contact-sheet.png", export.contact_sheet, name="contact_sheet"),
    path(
        board + "contact-sheet.pdf",
        export.contact_sheet,
        {"extension": "pdf"},
        name="contact_sheet_pdf",
    ),
    path(board + "manifest.json", export.manifest, name="manifest"),
    path(board + "animatic/", export.animatic, name="animatic"),
    path(board + "animatic/progress/", export.animatic_progress, name="animatic_progress"),
    path(board + "animatic.mp4", export.download_animatic, name="download_animatic"),
    path(board + "shots/new/", shots.add_shot, name="add_shot"),
    path(shot, shots.shot_page, name="shot"),
    path(shot + "edit/", shots.edit_shot, name="edit_shot"),
    path(shot + "fields/<str:field>/", shots.shot_field, name="shot_field"),
    path(shot + "fields/<str:field>/edit/", shots.edit_shot_field, name="edit_shot_field"),
    path(shot + "duplicate/", shots.duplicate_shot, name="duplicate_shot"),
    path(shot + "move/", shots.move_shot, name="move_shot"),
    path(shot + "delete/", shots.delete_shot, name="delete_shot"),
    path(shot + "generate/", shots.generate, name="generate"),
    path(shot + "continue/", shots.continue_shot, name="continue"),
    path(take + "keep/", shots.keep, name="keep"),
    path(take + "animate/", shots.animate, name="animate"),
]
