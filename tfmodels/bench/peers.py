"""The peer framework `tfmodels bench` times: PyTorch, in a process of its own (never one with
TensorFlow), the same model and optimizer settings, at its best on the CPU."""

from __future__ import annotations

import os

from tfmodels.bench import workload

__all__ = ["Torch", "TorchCompile"]


class Torch:
    """PyTorch on the CPU, the same model and optimizer settings (Keras's RMSprop defaults), at
    its best here: every core, denormals flushed."""

    compile = False
    device = "cpu"

    def __init__(self, x, y, batch):
        import torch

        torch.set_num_threads(os.cpu_count() or 1)
        torch.set_flush_denormal(True)  # else RMSprop's tiny squares go denormal and crawl
        self.torch = torch
        self.x = torch.from_numpy(x).to(self.device)
        self.y = torch.from_numpy(y.argmax(1)).to(self.device)
        self.batch = batch
        nn = torch.nn
        if workload.MODEL == "mlp":
            layers = [nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 10)]
        else:  # channels first, as PyTorch's convolutions want them
            self.x = self.x.reshape(-1, 1, 28, 28)
            layers = [nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                      nn.Dropout(0.25), nn.Linear(8 * 14 * 14, 10)]
        self.model = nn.Sequential(*layers).to(self.device)
        parameters = self.model.parameters()
        self.optimizer = (torch.optim.RMSprop(parameters, lr=1e-3, alpha=0.9, eps=1e-7)
                          if workload.MODEL == "mlp"
                          else torch.optim.Adam(parameters, lr=0.005, eps=1e-7))
        self.loss = torch.nn.CrossEntropyLoss()  # softmax + cross-entropy on the logits
        self.forward = torch.compile(self.model) if self.compile else self.model

    def epoch(self):
        order = self.torch.randperm(len(self.x), device=self.device)
        for i in range(0, len(order), self.batch):
            idx = order[i:i + self.batch]
            self.optimizer.zero_grad()
            self.loss(self.forward(self.x[idx]), self.y[idx]).backward()
            self.optimizer.step()


class TorchCompile(Torch):
    """The same, with `torch.compile` (its default Inductor backend)."""

    compile = True
